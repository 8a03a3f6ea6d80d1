import { AssayError } from '@assay/contracts';
import { manifestKey, ObjectStore, sha256Hex } from '@assay/artifacts';
import { loadConfig } from '@assay/platform';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists'];
/** ASSAY_E2E_UNSIGNED=1 runs the same attack on a platform without a signing key (the behaviour before signing). */
const SIGNED = !process.env.ASSAY_E2E_UNSIGNED;

/**
 * F3: someone with write access to the bucket (the S3 credentials, not ASSAY_SIGNING_KEY) replaces a model's
 * model.onnx with another model's and rewrites its manifest with the matching sha256 and size. The likelihood
 * service refuses to load it (UNAVAILABLE, a clear message, a log line) instead of serving the other weights.
 */
describe('a swapped model is refused by the service that would load it', () => {
  const harness = new PlatformHarness('integrity');
  const logged: string[] = [];
  let write: typeof process.stdout.write;

  beforeAll(async () => {
    if (SIGNED) process.env.ASSAY_SIGNING_KEY = 'e2e-platform-signing-key-0123456789';
    await harness.start();
    for (const [name, seed] of [['victim', 1], ['other', 2]] as const) {
      const dir = await forgeTinyModel({ texts: TEXTS, vocabSize: 300, seed });
      await harness.registry.push(dir, { name, version: '1', provenance: { kind: 'forged' } });
    }
    write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    await harness.startService(LikelihoodModule, 'likelihood');
  }, 120_000);
  afterAll(async () => {
    process.stdout.write = write;
    await harness.close();
    delete process.env.ASSAY_SIGNING_KEY;
  });

  it('refuses the swapped model.onnx with its rewritten manifest', async () => {
    const config = loadConfig();
    const attacker = new ObjectStore({ ...config.objectStore, signingKeys: [] });
    const weights = await attacker.getBuffer('models/other/1/model.onnx');
    await attacker.put('models/victim/1/model.onnx', weights);
    const manifest = (await attacker.getJson(manifestKey('victim', '1'))) as {
      files: Array<{ path: string; size: number; sha256: string }>;
    };
    const files = manifest.files.map((f) => (f.path === 'model.onnx' ? { ...f, size: weights.length, sha256: sha256Hex(weights) } : f));
    await attacker.putJson(manifestKey('victim', '1'), { ...manifest, files, signature: undefined });

    const score = harness.rpc.request('assay.likelihood.score', { model: 'victim@1', items: [{ context: 'take the', continuation: ' tablet' }] });
    if (!SIGNED) {
      console.log(`without a signing key the likelihood service served the swapped model: ${JSON.stringify(await score).slice(0, 160)}`);
      return;
    }
    const error = AssayError.from(await score.then(() => undefined, (e: unknown) => e));
    console.log(`with a signing key: ${error.code} ${error.message}`);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/models\/victim\/1\/manifest\.json is refused: it is not signed with the platform's key \(ASSAY_SIGNING_KEY\)/);
    const line = logged.find((l) => l.includes('artifact refused'));
    expect(line && JSON.parse(line)).toMatchObject({ level: 40, service: 'likelihood', key: 'models/victim/1/manifest.json', reason: 'it is not signed' });

    // The genuine model next to it still loads and scores.
    await expect(harness.rpc.request('assay.likelihood.score', { model: 'other@1', items: [{ context: 'take the', continuation: ' tablet' }] })).resolves.toMatchObject({ results: [expect.any(Object)] });
  });
});
