// `helm test`: one certification end to end through the certifier's HTTP API (certifier -> generation and
// likelihood over NATS -> models from the object store). Without ASSAY_TEST_MODEL / ASSAY_TEST_GUIDE it forges
// two tiny models on generated text with the `assay` CLI (seconds) and registers them as helm-test-l / -g.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const certifier = process.env.ASSAY_TEST_CERTIFIER_URL;
const apiKey = (process.env.ASSAY_API_KEYS || '').split(',')[0].trim();

/** Runs `assay <args> --json` and returns its last JSON line. */
function assay(...args) {
  const out = execFileSync('assay', [...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

/** A few hundred short sentences from a fixed vocabulary and a seeded generator: enough to forge a model. */
function corpus(file) {
  const words = 'the a model answer question domain text token guide large small certified draw accept refuse is was of to in and'.split(' ');
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const docs = [];
  for (let d = 0; d < 300; d++) docs.push(Array.from({ length: 24 }, () => words[Math.floor(next() * words.length)]).join(' ') + '.');
  fs.writeFileSync(file, docs.join('\n\n'));
}

function forgeModels() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-helm-test-'));
  const text = path.join(dir, 'corpus.txt');
  corpus(text);
  const tokenizer = path.join(dir, 'tokenizer');
  assay('forge', 'tokenizer', '--corpus', text, '--vocab-size', '300', '--out', tokenizer);
  const names = [];
  for (const [name, seed] of [['helm-test-l', '1'], ['helm-test-g', '2']]) {
    const out = path.join(dir, name);
    assay('forge', 'lm', '--corpus', text, '--tokenizer', tokenizer, '--layers', '1', '--heads', '2', '--dim', '32', '--context', '64', '--steps', '20', '--batch-size', '8', '--seed', seed, '--out', out);
    assay('models', 'push', out, '--name', name);
    names.push(name);
  }
  return names;
}

async function main() {
  if (!certifier) throw new Error('ASSAY_TEST_CERTIFIER_URL is not set');
  const [model, guide] = process.env.ASSAY_TEST_MODEL && process.env.ASSAY_TEST_GUIDE ? [process.env.ASSAY_TEST_MODEL, process.env.ASSAY_TEST_GUIDE] : forgeModels();
  // k at its maximum: any draw whose text re-encodes to its own tokens is accepted, so the test checks the path, not
  // the models. Barely trained models often draw token sequences that are not the canonical spelling of their text
  // (those are rejected: the certificate is for the text), so answers are one token and there are 8 draws.
  const request = { model, guide, prompt: 'the model', k: 64, T: 8, maxNewTokens: 1, seed: 1 };
  const response = await fetch(`${certifier}/v1/certify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(120000),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 200) throw new Error(`POST /v1/certify answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  if (body.status !== 'accepted' || !body.certificate || !Number.isFinite(body.certificate.log2Epsilon)) {
    throw new Error(`expected an accepted answer with its certificate, got ${JSON.stringify(body).slice(0, 500)}`);
  }
  console.log(`certified with ${model} / ${guide}: ${body.attempts.length} draw(s), log2 epsilon ${body.certificate.log2Epsilon.toFixed(2)}, ${body.certificate.nTokens} tokens`);
}

main().catch((error) => {
  console.error(`certify test failed: ${error.message}`);
  process.exit(1);
});
