import fs from 'node:fs';
import path from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import { JobAccepted } from '@assay/contracts';
import { demoCorpus } from '@assay/forge';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GatewayModule } from '../services/gateway/src/gateway.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../test-artifacts/console');
const corpus = demoCorpus({ seed: 5, inDomainItems: 160, generalItems: 160, heldOutItems: 4, promptItems: 4 });
const describeBrowser = fs.existsSync(CHROMIUM) ? describe : describe.skip;
if (!fs.existsSync(CHROMIUM)) console.warn(`console browser test skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);

/**
 * The console in headless Chromium (Debian's chromium, driven by playwright-core): log in with the API key, create a
 * policy, watch an evaluation job's progress bar move, open its report and find its plots. Screenshots go to
 * test-artifacts/console/ (gitignored).
 */
describeBrowser('gateway console in a headless browser', () => {
  const harness = new PlatformHarness('console');
  let browser: Browser;
  let page: Page;
  let base: string;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await harness.start();
    process.env.ASSAY_MAX_BATCH = '4'; // many batches, so the job's progress moves in small steps
    process.env.ASSAY_TRACE_URL_TEMPLATE = 'http://jaeger.example/trace/{traceId}';
    const texts = [...corpus.inDomain, ...corpus.general];
    const [large, guide] = await Promise.all([forgeTinyModel({ texts, vocabSize: 320, seed: 1 }), forgeTinyModel({ texts, vocabSize: 320, seed: 2 })]);
    await harness.registry.push(large, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'tiny-g', version: '1', provenance: { kind: 'forged' } });
    await harness.store.put('eval/id.jsonl', Buffer.from(corpus.inDomain.map((response) => JSON.stringify({ response })).join('\n')));
    await harness.store.put('eval/ood.jsonl', Buffer.from(corpus.general.map((response) => JSON.stringify({ response })).join('\n')));
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
    await harness.startService(GatewayModule, 'gateway');
    base = await harness.url('gateway');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    page = await browser.newPage();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await harness.close();
  });

  it('needs the API key: a wrong one is refused, the right one logs in', async () => {
    const denied = await page.goto(`${base}/console/policies`);
    expect(denied!.status()).toBe(401);
    await page.fill('#key', 'not-the-key');
    await page.click('button[type=submit]');
    await page.waitForSelector('#error:has-text("not valid")');
    await page.fill('#key', 'test-key');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/console/policies`);
    expect(await page.textContent('h1')).toBe('Policies');
    await shot('01-logged-in');
  });

  it('creates a policy from the console, which the API then serves', async () => {
    await page.fill('input[name=name]', 'console-made');
    await page.fill('input[name=model]', 'tiny-l');
    await page.fill('input[name=guide]', 'tiny-g');
    await page.fill('input[name=k]', '3.5');
    await page.fill('input[name=T]', '2');
    await page.fill('input[name=description]', 'made in the browser');
    await page.click('#create-policy button[type=submit]');
    await page.waitForSelector('#policies td:has-text("console-made")');
    expect(await page.textContent('#policies')).toContain('VALID k=3.5 T=2');
    await shot('02-policy-created');
    const policy = await (await fetch(`${base}/v1/policies/console-made`, { headers: { 'x-api-key': 'test-key' } })).json();
    expect(policy).toMatchObject({ name: 'console-made', version: 1, k: 3.5, T: 2, description: 'made in the browser' });
    // An assured request shows up with its stages and certificate, its trace id linked by the template.
    await fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' }, body: JSON.stringify({ model: 'console-made', prompt: 'Q:', max_tokens: 2, seed: 1 }) });
    await page.goto(`${base}/console/requests`);
    const row = await page.textContent('#requests');
    expect(row).toContain('console-made@1');
    expect(row).toContain('sample → certify');
    expect(row).toMatch(/accepted|abstained/);
    await shot('03-requests');
  });

  it('shows a job\'s progress bar moving, then opens its report and finds the plots', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.certifier.evaluate', {
      model: 'tiny-l',
      guide: 'tiny-g',
      inDomain: { key: 'eval/id.jsonl' },
      outOfDomain: { key: 'eval/ood.jsonl' },
      maxResponseTokens: 24,
      seed: 3,
    });
    await page.goto(`${base}/console/jobs`);
    const bar = page.locator(`tr[data-job="${accepted.jobId}"] progress`);
    await bar.waitFor();
    const seen = new Set<number>();
    let shotTaken = false;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const value = await bar.evaluate((el) => (el as unknown as { value: number }).value);
      seen.add(value);
      if (value > 0 && value < 1 && !shotTaken) {
        await shot('04-job-running');
        shotTaken = true;
      }
      const status = await page.textContent(`tr[data-job="${accepted.jobId}"] .status`);
      if (status === 'succeeded' || status === 'failed' || Date.now() > deadline) break;
      await page.waitForTimeout(100);
    }
    const values = [...seen].sort((a, b) => a - b);
    expect(await page.textContent(`tr[data-job="${accepted.jobId}"] .status`)).toBe('succeeded');
    // The bar moved: it showed at least one value strictly between 0 and 1 on its way to 1.
    expect(values.some((v) => v > 0 && v < 1)).toBe(true);
    expect(values[values.length - 1]).toBe(1);
    await shot('05-job-done');

    await page.waitForSelector(`tr[data-job="${accepted.jobId}"] .report a`);
    await page.click(`tr[data-job="${accepted.jobId}"] .report a`);
    await page.waitForSelector('svg');
    expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(3); // histogram, ROC, ε eCDF
    expect(await page.content()).toContain('ROC');
    await shot('06-report');
    await page.goto(`${base}/console/reports`);
    expect(await page.textContent('#reports')).toContain(`certify-eval/${accepted.jobId}/index.html`);
  });
});
