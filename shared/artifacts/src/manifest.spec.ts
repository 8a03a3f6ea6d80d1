import { ModelManifestSchema, compareVersions, manifestKey, parseManifestKey, timestampVersion, versionPrefix } from './manifest';

describe('compareVersions', () => {
  const sorted = (versions: string[]) => [...versions].sort(compareVersions);

  it('compares digit runs numerically', () => {
    expect(sorted(['1.10.0', '1.9.0', '1.2.0', '2.0.0', '1.2.10', '1.2.9'])).toEqual([
      '1.2.0', '1.2.9', '1.2.10', '1.9.0', '1.10.0', '2.0.0',
    ]);
    expect(sorted(['v10', 'v9', 'v100', 'v1'])).toEqual(['v1', 'v9', 'v10', 'v100']);
  });

  it('orders leading zeros deterministically and a prefix before its extension', () => {
    expect(compareVersions('007', '7')).toBeGreaterThan(0);
    expect(compareVersions('7', '007')).toBeLessThan(0);
    expect(compareVersions('1.0', '1.0.1')).toBeLessThan(0);
    expect(compareVersions('abc', 'abc')).toBe(0);
  });

  it('handles numbers beyond double precision', () => {
    expect(compareVersions('99999999999999999999', '100000000000000000000')).toBeLessThan(0);
    expect(compareVersions('99999999999999999998', '99999999999999999999')).toBeLessThan(0);
  });

  it('is antisymmetric on a sample', () => {
    const sample = ['1', '1.0', '1.0.0', 'a', 'a1', 'a10', 'a2', 'b', '20250101-000000-000-abcd', '0'];
    for (const a of sample) for (const b of sample) expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
  });

  it('sorts timestamp versions by time', () => {
    const times = [Date.UTC(2025, 0, 1, 9, 5, 3, 7), Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1, 10, 0, 0, 0)];
    const versions = times.map((t) => timestampVersion(new Date(t), 'ffff'));
    expect(sorted(versions)).toEqual([versions[1], versions[0], versions[2]]);
  });
});

describe('timestampVersion', () => {
  it('formats UTC time with a suffix and is a valid name', () => {
    expect(timestampVersion(new Date(Date.UTC(2025, 2, 14, 15, 30, 12, 123)), '0a9f')).toBe('20250314-153012-123-0a9f');
  });

  it('rejects a bad suffix', () => {
    expect(() => timestampVersion(new Date(0), 'XYZ1')).toThrow();
  });
});

describe('manifest keys', () => {
  it('builds and parses', () => {
    expect(versionPrefix('m', '1')).toBe('models/m/1/');
    expect(manifestKey('m', '1')).toBe('models/m/1/manifest.json');
    expect(parseManifestKey('models/m/1/manifest.json')).toEqual({ name: 'm', version: '1' });
  });

  it.each(['models/m/1/model.onnx', 'models/m/manifest.json', 'models/m/1/x/manifest.json', 'other/m/1/manifest.json', 'models/M/1/manifest.json'])(
    'ignores %j',
    (key) => expect(parseManifestKey(key)).toBeNull(),
  );
});

describe('ModelManifestSchema', () => {
  const valid = {
    schemaVersion: 1,
    name: 'tiny',
    version: '1',
    createdAt: '2025-01-01T00:00:00.000Z',
    files: [{ path: 'model.onnx', size: 3, sha256: 'a'.repeat(64) }],
    provenance: { kind: 'forged', parent: { name: 'base', version: '2' }, trainingReport: { loss: 1.5 }, seed: 7 },
    metadata: { note: 'x' },
  };

  it('accepts a manifest and keeps extra provenance fields', () => {
    const parsed = ModelManifestSchema.parse(valid);
    expect(parsed.provenance).toEqual(valid.provenance);
  });

  it.each([
    ['a traversal path', { files: [{ path: '../x', size: 1, sha256: 'a'.repeat(64) }] }],
    ['a bad sha256', { files: [{ path: 'model.onnx', size: 1, sha256: 'abc' }] }],
    ['no files', { files: [] }],
    ['a bad name', { name: 'Tiny' }],
    ['a bad provenance kind', { provenance: { kind: 'Forged!' } }],
    ['another schema version', { schemaVersion: 2 }],
  ])('rejects %s', (_, patch) => {
    expect(ModelManifestSchema.safeParse({ ...valid, ...patch }).success).toBe(false);
  });
});
