import * as fs from 'fs';
import * as path from 'path';
import {
  ConflictError,
  IntegrityError,
  InvalidKeyError,
  LocalArtifactCache,
  ModelRegistry,
  NotFoundError,
  ObjectStore,
  sha256Hex,
} from '@assay/artifacts';
import { S3Fixture, seededBytes, startS3Fixture, tamperOnDisk } from './s3-fixture';

describe('ModelRegistry over s3rver', () => {
  let fx: S3Fixture;
  let store: ObjectStore;
  let cache: LocalArtifactCache;
  let registry: ModelRegistry;

  beforeAll(async () => {
    fx = await startS3Fixture();
    store = fx.store;
    cache = new LocalArtifactCache(path.join(fx.workDir, 'cache'), 50_000_000);
    registry = new ModelRegistry(store, cache);
  });
  afterAll(() => fx.close());
  afterEach(() => jest.restoreAllMocks());

  /** An Optimum-style export directory (the weights are opaque bytes to the registry). */
  function modelDir(label: string, seed: number, extras: Record<string, Buffer | string> = {}): string {
    const dir = path.join(fx.workDir, 'exports', label);
    fs.mkdirSync(dir, { recursive: true });
    const files: Record<string, Buffer | string> = {
      'model.onnx': seededBytes(seed, 400_000),
      'config.json': JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_head: 2, n_embd: 8, vocab_size: 16 }),
      'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab: { '<unk>': 0 } } }),
      'generation_config.json': JSON.stringify({ eos_token_id: 0 }),
      ...extras,
    };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
  }

  it('pushes, lists, shows and fetches a model', async () => {
    const dir = modelDir('tiny-v1', 1, { 'onnx/extra.bin': seededBytes(9, 1000), 'manifest.json': '{"stale": true}' });
    const manifest = await registry.push(dir, {
      name: 'tiny',
      version: '1.0.0',
      provenance: { kind: 'forged', trainingReport: { steps: 10, loss: 2.5 } },
      metadata: { purpose: 'test' },
    });
    expect(manifest.files.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'model.onnx', 'onnx/extra.bin', 'tokenizer.json']);
    const onnx = manifest.files.find((f) => f.path === 'model.onnx');
    expect(onnx).toEqual({ path: 'model.onnx', size: 400_000, sha256: sha256Hex(fs.readFileSync(path.join(dir, 'model.onnx'))) });

    expect(await registry.show('tiny', '1.0.0')).toEqual(manifest);
    expect(await registry.show('tiny')).toEqual(manifest);

    const local = await registry.fetch('tiny', '1.0.0');
    for (const file of manifest.files) {
      expect(fs.readFileSync(path.join(local, file.path)).equals(fs.readFileSync(path.join(dir, file.path)))).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(local, 'manifest.json'), 'utf8'))).toEqual(manifest);

    expect(await registry.list()).toEqual(expect.arrayContaining([{ name: 'tiny', latestVersion: '1.0.0', versionCount: 1 }]));
  });

  it('refuses to overwrite a version, and validates names and contents', async () => {
    const dir = modelDir('conflict', 2);
    await registry.push(dir, { name: 'conflicted', version: '1', provenance: { kind: 'uploaded' } });
    await expect(registry.push(dir, { name: 'conflicted', version: '1', provenance: { kind: 'uploaded' } })).rejects.toThrow(ConflictError);

    await expect(registry.push(dir, { name: 'Bad/Name', provenance: { kind: 'uploaded' } })).rejects.toThrow(InvalidKeyError);
    await expect(registry.push(dir, { name: 'ok', version: '../x', provenance: { kind: 'uploaded' } })).rejects.toThrow(InvalidKeyError);
    await expect(registry.push(dir, { name: 'ok', version: 'latest', provenance: { kind: 'uploaded' } })).rejects.toThrow(/reserved/);
    await expect(registry.push(dir, { name: 'ok', provenance: { kind: 'Not A Kind' } })).rejects.toThrow(/provenance/);

    const incomplete = path.join(fx.workDir, 'exports', 'incomplete');
    fs.mkdirSync(incomplete, { recursive: true });
    fs.writeFileSync(path.join(incomplete, 'model.onnx'), 'x');
    await expect(registry.push(incomplete, { name: 'ok', provenance: { kind: 'uploaded' } })).rejects.toThrow(/lacks config.json/);
    fs.writeFileSync(path.join(incomplete, 'config.json'), '[1, 2');
    await expect(registry.push(incomplete, { name: 'ok', provenance: { kind: 'uploaded' } })).rejects.toThrow(/not a JSON object/);
    fs.writeFileSync(path.join(incomplete, 'config.json'), '{}');
    fs.renameSync(path.join(incomplete, 'model.onnx'), path.join(incomplete, 'weights.onnx'));
    await expect(registry.push(incomplete, { name: 'ok', provenance: { kind: 'uploaded' } })).rejects.toThrow(/lacks a model graph/);
    expect(await registry.versions('ok')).toEqual([]);
  });

  it('accepts the transformers.js layout (graphs and their external data under onnx/)', async () => {
    const dir = modelDir('tjs-layout', 5, { 'onnx/model.onnx': seededBytes(5, 1000), 'onnx/model.onnx_data': seededBytes(6, 5000), 'onnx/model_quantized.onnx': seededBytes(7, 500) });
    fs.rmSync(path.join(dir, 'model.onnx'));
    const manifest = await registry.push(dir, { name: 'tjs-layout', version: '1', provenance: { kind: 'uploaded' } });
    expect(manifest.files.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_quantized.onnx', 'tokenizer.json']);
    const fetched = await registry.fetch('tjs-layout', '1');
    expect(fs.readFileSync(path.join(fetched, 'onnx', 'model.onnx_data'))).toEqual(seededBytes(6, 5000));
  });

  it('resolves latest across versions, defaulting to sortable timestamp versions', async () => {
    await registry.push(modelDir('multi-a', 3), { name: 'multi', version: '1.9.0', provenance: { kind: 'forged' } });
    await registry.push(modelDir('multi-b', 4), {
      name: 'multi',
      version: '1.10.0',
      provenance: { kind: 'fine-tuned', parent: { name: 'multi', version: '1.9.0' } },
    });
    expect(await registry.versions('multi')).toEqual(['1.9.0', '1.10.0']);
    expect(await registry.resolve('multi')).toBe('1.10.0');
    expect(await registry.resolve('multi', 'latest')).toBe('1.10.0');
    expect((await registry.show('multi')).provenance.parent).toEqual({ name: 'multi', version: '1.9.0' });

    const first = await registry.push(modelDir('stamped-a', 5), { name: 'stamped', provenance: { kind: 'trained-guide' } });
    const second = await registry.push(modelDir('stamped-b', 6), { name: 'stamped', provenance: { kind: 'trained-guide' } });
    expect(first.version).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{4}$/);
    expect(await registry.versions('stamped')).toEqual([first.version, second.version].sort());
    expect(await registry.resolve('stamped')).toBe((await registry.versions('stamped'))[1]);

    await expect(registry.resolve('multi', '9.9.9')).rejects.toThrow(NotFoundError);
    await expect(registry.resolve('nobody')).rejects.toThrow(NotFoundError);
    await expect(registry.fetch('nobody')).rejects.toThrow(NotFoundError);
    expect(await registry.versions('nobody')).toEqual([]);
  });

  it('reuses the newest version of a name for latestTtlMs: one listing for many requests, own pushes seen at once', async () => {
    const serving = new ModelRegistry(store, cache, { latestTtlMs: 60_000 });
    const elsewhere = registry; // another process pushing to the same store
    await expect(serving.resolve('ttl')).rejects.toThrow(NotFoundError); // an unknown name is not remembered
    await elsewhere.push(modelDir('ttl-1', 7), { name: 'ttl', version: '1', provenance: { kind: 'forged' } });
    const list = jest.spyOn(store, 'list');
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => serving.resolveRef('ttl')));
    expect(concurrent.map((r) => r.ref)).toEqual(Array(20).fill('ttl@1'));
    expect(await serving.resolve('ttl', 'latest')).toBe('1');
    expect(list).toHaveBeenCalledTimes(1);
    // Pushed by another process: not seen until the entry expires (this one lasts a minute) ...
    await elsewhere.push(modelDir('ttl-2', 8), { name: 'ttl', version: '2', provenance: { kind: 'forged' } });
    expect(await serving.resolve('ttl')).toBe('1');
    // ... pushed through this registry: seen at once; an explicit version is never cached.
    await serving.push(modelDir('ttl-3', 9), { name: 'ttl', version: '3', provenance: { kind: 'forged' } });
    expect(await serving.resolve('ttl')).toBe('3');
    expect(await serving.resolve('ttl', '2')).toBe('2');
    await serving.delete('ttl', '3');
    expect(await serving.resolve('ttl')).toBe('2');
    // The default (0) lists every time, as before.
    list.mockClear();
    await registry.resolve('ttl');
    await registry.resolve('ttl');
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('fetches through the cache: a second fetch downloads nothing', async () => {
    await registry.push(modelDir('cached', 7), { name: 'cached', version: '1', provenance: { kind: 'forged' } });
    const get = jest.spyOn(store, 'get');
    // Every fetch reads the (small) manifest to resolve the version; only the files are cached.
    const fileDownloads = () => get.mock.calls.filter(([key]) => !key.endsWith('/manifest.json')).map(([key]) => key);
    const first = await registry.fetch('cached', '1');
    expect(fileDownloads().sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.onnx', 'tokenizer.json'].map((f) => `models/cached/1/${f}`),
    );
    const second = await registry.fetch('cached');
    expect(second).toBe(first);
    expect(fileDownloads()).toHaveLength(4);
  });

  it('fails fetch with IntegrityError when a stored file was tampered with', async () => {
    await registry.push(modelDir('corrupt', 8), { name: 'corrupt', version: '1', provenance: { kind: 'uploaded' } });
    await tamperOnDisk(fx, 'models/corrupt/1/model.onnx', 1000);
    await expect(registry.fetch('corrupt', '1')).rejects.toThrow(IntegrityError);
    expect(fs.existsSync(cache.pathOf('models/corrupt/1/model.onnx'))).toBe(false);
  });

  it('fails fetch when a file was replaced with self-consistent bytes that the manifest does not list', async () => {
    await registry.push(modelDir('swapped', 9), { name: 'swapped', version: '1', provenance: { kind: 'uploaded' } });
    // A valid object (its own sha256 metadata matches) that is not what the manifest recorded.
    const original = fs.readFileSync(path.join(fx.workDir, 'exports', 'swapped', 'tokenizer.json'));
    const forged = Buffer.from(original.toString('utf8').replace('<unk>', '<bad>'));
    expect(forged.length).toBe(original.length);
    await store.put('models/swapped/1/tokenizer.json', forged);
    await expect(registry.fetch('swapped', '1')).rejects.toThrow(/sha256 [0-9a-f]{64} does not match recorded/);
    await store.put('models/swapped/1/tokenizer.json', Buffer.from('{}'));
    await expect(registry.fetch('swapped', '1')).rejects.toThrow(IntegrityError);
  });

  it('fails show and fetch on a malformed manifest', async () => {
    await registry.push(modelDir('badmanifest', 10), { name: 'badmanifest', version: '1', provenance: { kind: 'uploaded' } });
    await store.putJson('models/badmanifest/1/manifest.json', { schemaVersion: 1, name: 'someone-else' });
    await expect(registry.show('badmanifest', '1')).rejects.toThrow(IntegrityError);
    await expect(registry.fetch('badmanifest', '1')).rejects.toThrow(IntegrityError);
  });

  it('deletes a version', async () => {
    await registry.push(modelDir('gone-1', 11), { name: 'gone', version: '1', provenance: { kind: 'uploaded' } });
    await registry.push(modelDir('gone-2', 12), { name: 'gone', version: '2', provenance: { kind: 'uploaded' } });
    const local = await registry.fetch('gone', '2');
    await registry.delete('gone', '2');
    expect(await registry.versions('gone')).toEqual(['1']);
    expect(await registry.resolve('gone')).toBe('1');
    expect((await store.list('models/gone/2/', { recursive: true })).objects).toEqual([]);
    expect(fs.existsSync(path.join(local, 'model.onnx'))).toBe(false);
    await expect(registry.delete('gone', '2')).rejects.toThrow(NotFoundError);

    // The version can be pushed again once deleted.
    await registry.push(modelDir('gone-2b', 13), { name: 'gone', version: '2', provenance: { kind: 'uploaded' } });
    expect(await registry.versions('gone')).toEqual(['1', '2']);
  });

  it('resolves references as callers write them and reads single files without fetching the weights', async () => {
    await registry.push(modelDir('refs-1', 31), { name: 'refs', version: '1', provenance: { kind: 'uploaded' } });
    await registry.push(modelDir('refs-2', 32, { 'weights.bin': seededBytes(3, 100) }), { name: 'refs', version: '2', provenance: { kind: 'uploaded' } });
    expect(await registry.resolveRef('refs')).toEqual({ name: 'refs', version: '2', ref: 'refs@2' });
    expect(await registry.resolveRef('refs@latest')).toEqual({ name: 'refs', version: '2', ref: 'refs@2' });
    expect(await registry.resolveRef('refs@1')).toEqual({ name: 'refs', version: '1', ref: 'refs@1' });
    await expect(registry.resolveRef('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'unknown model "ghost"' });
    await expect(registry.resolveRef('refs@9')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'unknown model "refs@9"' });

    const fetched = jest.spyOn(store, 'get');
    const model = await registry.resolveModel('refs');
    expect(registry.hasFile(model, 'weights.bin')).toBe(true);
    expect(await registry.readJson(model, 'config.json')).toMatchObject({ model_type: 'gpt2' });
    expect((await registry.readFile(model, 'weights.bin')).equals(seededBytes(3, 100))).toBe(true);
    await expect(registry.readFile(await registry.resolveModel('refs@1'), 'weights.bin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Single files only: config.json and weights.bin were read, the 400 kB model.onnx never.
    const keys = fetched.mock.calls.map(([key]) => key);
    expect(keys).toEqual(expect.arrayContaining(['models/refs/2/config.json', 'models/refs/2/weights.bin']));
    expect(keys.filter((key) => key.endsWith('model.onnx'))).toEqual([]);
  });
});
