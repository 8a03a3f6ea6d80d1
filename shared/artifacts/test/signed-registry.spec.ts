import * as fs from 'fs';
import * as path from 'path';
import * as Minio from 'minio';
import { LocalArtifactCache, ModelRegistry, ObjectStore, SIGNATURE_HEADER, UntrustedArtifactError, manifestKey, sha256Hex } from '@assay/artifacts';
import { S3Fixture, TEST_BUCKET, TEST_CREDENTIALS, seededBytes, startS3Fixture } from './s3-fixture';

const KEY = 'platform-signing-key-0123456789abcdef';

/**
 * Tamper evidence over a real S3 server: an attacker who can write the bucket (the S3 credentials, not the
 * platform's signing key) cannot make the registry hand out a swapped model, a rewritten manifest or an
 * object copied with its signature under another key. Unsigned models from before can be signed once.
 */
describe('signed artifacts', () => {
  let fx: S3Fixture;
  let refused: Array<{ key: string; reason: string }>;
  let platform: ObjectStore;
  let registry: ModelRegistry;
  /** Bucket write access without the signing key. */
  let attacker: ObjectStore;
  let raw: Minio.Client;

  const storeWith = (signingKeys: string[] | undefined) =>
    new ObjectStore({ endpoint: fx.s3.endpoint, ...TEST_CREDENTIALS, region: 'us-east-1', bucket: TEST_BUCKET, tmpDir: fx.workDir, signingKeys, onUntrusted: (key, reason) => refused.push({ key, reason }) });
  const registryOn = (store: ObjectStore, cache: string) => new ModelRegistry(store, new LocalArtifactCache(path.join(fx.workDir, cache), 50_000_000));

  beforeAll(async () => {
    fx = await startS3Fixture();
    platform = storeWith([KEY]);
    attacker = storeWith(undefined);
    registry = registryOn(platform, 'cache');
    const url = new URL(fx.s3.endpoint);
    raw = new Minio.Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, ...TEST_CREDENTIALS, region: 'us-east-1', pathStyle: true });
  });
  afterAll(() => fx.close());
  beforeEach(() => (refused = []));

  function modelDir(label: string, seed: number): string {
    const dir = path.join(fx.workDir, 'exports', label);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model.onnx'), seededBytes(seed, 50_000));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', seed }));
    return dir;
  }

  it('signs what it writes and serves it back', async () => {
    const manifest = await registry.push(modelDir('good', 1), { name: 'good', version: '1', provenance: { kind: 'forged' } });
    expect(manifest.signature).toMatchObject({ algorithm: 'hmac-sha256' });
    const stored = await raw.statObject(TEST_BUCKET, 'models/good/1/model.onnx');
    expect(stored.metaData['assay-signature']).toMatch(/^v1\.[0-9a-f]{16}\.[0-9a-f]{64}$/);
    const dir = await registry.fetch('good', '1');
    expect(fs.readFileSync(path.join(dir, 'model.onnx'))).toEqual(seededBytes(1, 50_000));
    expect(refused).toEqual([]);
  });

  it("refuses a model whose model.onnx was replaced by another model's and whose manifest was rewritten to match", async () => {
    await registry.push(modelDir('victim', 2), { name: 'victim', version: '1', provenance: { kind: 'forged' } });
    await registry.push(modelDir('other', 3), { name: 'other', version: '1', provenance: { kind: 'forged' } });
    // The attack: the other model's weights under the victim's key, and a manifest with their sha256 and size.
    const swapped = seededBytes(3, 50_000);
    await attacker.put('models/victim/1/model.onnx', swapped);
    const manifest = await attacker.getJson<{ files: Array<{ path: string; size: number; sha256: string }>; signature?: unknown }>(manifestKey('victim', '1'));
    const files = manifest.files.map((f) => (f.path === 'model.onnx' ? { ...f, size: swapped.length, sha256: sha256Hex(swapped) } : f));
    await attacker.putJson(manifestKey('victim', '1'), { ...manifest, files, signature: undefined });

    const fresh = registryOn(platform, 'cache-fresh'); // a service that never saw the genuine version
    const error = await fresh.fetch('victim', '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UntrustedArtifactError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as Error).message).toMatch(/models\/victim\/1\/manifest\.json is refused: it is not signed with the platform's key \(ASSAY_SIGNING_KEY\)/);
    await expect(fresh.show('victim', '1')).rejects.toThrow(UntrustedArtifactError);
    expect(refused.map((r) => r.key)).toContain('models/victim/1/manifest.json');

    // Keeping the signature of the genuine manifest does not help either: it no longer matches.
    const genuine = await registryOn(storeWith([KEY]), 'x').show('good', '1');
    await attacker.putJson(manifestKey('victim', '1'), { ...manifest, files, signature: genuine.signature });
    await expect(registryOn(platform, 'cache-fresh2').fetch('victim', '1')).rejects.toThrow(/is refused: it is not signed|is refused: its signature/);
  });

  it('refuses a signed object copied, signature and all, under another key', async () => {
    await registry.push(modelDir('target', 4), { name: 'target', version: '1', provenance: { kind: 'forged' } });
    const donor = await raw.statObject(TEST_BUCKET, 'models/good/1/model.onnx');
    const bytes = await platform.getBuffer('models/good/1/model.onnx');
    await raw.putObject(TEST_BUCKET, 'models/target/1/model.onnx', bytes, bytes.length, {
      'x-amz-meta-sha256': donor.metaData.sha256,
      [SIGNATURE_HEADER]: donor.metaData['assay-signature'],
    });
    await expect(platform.getBuffer('models/target/1/model.onnx')).rejects.toThrow(/target\/1\/model\.onnx is refused: its signature does not match its key, sha256 and size/);
    await expect(registryOn(platform, 'cache-target').fetch('target', '1')).rejects.toThrow(UntrustedArtifactError);
  });

  it('migrates: an unsigned model is refused until `sign` checks it against its manifest and signs it', async () => {
    const legacy = registryOn(attacker, 'cache-legacy'); // written before the platform had a key
    await legacy.push(modelDir('legacy', 5), { name: 'legacy', version: '1', provenance: { kind: 'uploaded' } });
    await expect(registry.fetch('legacy', '1')).rejects.toThrow(/legacy\/1\/manifest\.json is refused: it is not signed/);

    const signed = await registry.sign('legacy', '1');
    expect(signed.signature?.keyId).toBe(platform.signer!.keyId);
    const dir = await registryOn(platform, 'cache-legacy2').fetch('legacy', '1');
    expect(fs.readFileSync(path.join(dir, 'model.onnx'))).toEqual(seededBytes(5, 50_000));

    // A file that no longer matches its manifest is not signed over.
    await legacy.push(modelDir('legacy-bad', 6), { name: 'legacy-bad', version: '1', provenance: { kind: 'uploaded' } });
    await attacker.put('models/legacy-bad/1/model.onnx', Buffer.from('not the weights'));
    await expect(registry.sign('legacy-bad', '1')).rejects.toThrow(/differ from the manifest's/);
    await expect(registry.fetch('legacy-bad', '1')).rejects.toThrow(UntrustedArtifactError);
  });

  it('re-signs other objects, and keeps reading under a previous key after a rotation', async () => {
    await attacker.put('reports/x/index.html', Buffer.from('<html>'), { contentType: 'text/html', metadata: { job: 'x' } });
    await expect(platform.getBuffer('reports/x/index.html')).rejects.toThrow(UntrustedArtifactError);
    await platform.resign('reports/x/index.html');
    expect((await platform.getBuffer('reports/x/index.html')).toString()).toBe('<html>');
    expect(await platform.stat('reports/x/index.html')).toMatchObject({ contentType: 'text/html', metadata: { job: 'x' } });

    const rotated = storeWith(['a-brand-new-signing-key-0123456789', KEY]);
    expect(await registryOn(rotated, 'cache-rotated').fetch('good', '1')).toBeTruthy();
    await expect(storeWith(['a-brand-new-signing-key-0123456789']).getBuffer('reports/x/index.html')).rejects.toThrow(/unknown key/);
  });

  it('presigned URLs last ASSAY_PRESIGN_TTL_S unless the caller names a lifetime', async () => {
    const short = new ObjectStore({ endpoint: fx.s3.endpoint, ...TEST_CREDENTIALS, region: 'us-east-1', bucket: TEST_BUCKET, signingKeys: [KEY], presignTtlSec: 120 });
    expect(new URL(await short.presignedGetUrl('models/good/1/config.json')).searchParams.get('X-Amz-Expires')).toBe('120');
    expect(new URL(await platform.presignedGetUrl('models/good/1/config.json')).searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(new URL(await short.presignedGetUrl('models/good/1/config.json', 30)).searchParams.get('X-Amz-Expires')).toBe('30');
  });
});
