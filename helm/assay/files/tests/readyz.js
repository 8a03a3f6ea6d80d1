// `helm test`: every api Service of the release answers GET /readyz with 200 (NATS connected, object store
// reachable, preloaded models loaded, job worker running), retrying while pods finish starting.
const urls = (process.env.ASSAY_TEST_URLS || '').split(/\s+/).filter(Boolean);
const deadline = Date.now() + Number(process.env.ASSAY_TEST_WAIT_MS || 120000);

async function ready(url) {
  let last = '';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.status === 200) return `${url}: 200`;
      last = `${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = String(error && error.message ? error.message : error);
    }
    if (Date.now() > deadline) throw new Error(`${url}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

if (urls.length === 0) {
  console.error('ASSAY_TEST_URLS is empty');
  process.exit(1);
}
Promise.all(urls.map(ready)).then(
  (lines) => console.log(lines.join('\n')),
  (error) => {
    console.error(`not ready: ${error.message}`);
    process.exit(1);
  },
);
