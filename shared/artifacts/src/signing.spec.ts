import { createHmac } from 'crypto';
import { ArtifactSigner, canonicalJson, signingKeyId } from './signing';

const KEY = 'k'.repeat(32);
const SHA = 'a'.repeat(64);

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined, so equal documents give equal bytes', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe('ArtifactSigner', () => {
  const sut = new ArtifactSigner([KEY]);

  it('signs an object as v1.<key id>.<HMAC-SHA256 of context, key, sha256 and size>', () => {
    const expected = createHmac('sha256', KEY).update(`assay-object/v1\nmodels/m/1/model.onnx\n${SHA}\n42`).digest('hex');
    expect(sut.signObject('models/m/1/model.onnx', SHA, 42)).toBe(`v1.${signingKeyId(KEY)}.${expected}`);
    expect(signingKeyId(KEY)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('accepts its own object signatures and refuses missing, foreign, moved or altered ones', () => {
    const signature = sut.signObject('models/m/1/model.onnx', SHA, 42);
    expect(sut.objectProblem('models/m/1/model.onnx', SHA, 42, signature)).toBeUndefined();
    expect(sut.objectProblem('models/m/1/model.onnx', SHA, 42, undefined)).toBe('it is not signed');
    expect(sut.objectProblem('models/other/1/model.onnx', SHA, 42, signature)).toBe('its signature does not match its key, sha256 and size');
    expect(sut.objectProblem('models/m/1/model.onnx', 'b'.repeat(64), 42, signature)).toMatch(/does not match/);
    expect(sut.objectProblem('models/m/1/model.onnx', SHA, 43, signature)).toMatch(/does not match/);
    expect(sut.objectProblem('models/m/1/model.onnx', SHA, 42, new ArtifactSigner(['o'.repeat(32)]).signObject('models/m/1/model.onnx', SHA, 42))).toMatch(/unknown key/);
    expect(sut.objectProblem('models/m/1/model.onnx', SHA, 42, 'garbage')).toMatch(/unknown key/);
  });

  it('signs manifests over their canonical JSON and notices any change', () => {
    const manifest = { name: 'm', version: '1', files: [{ path: 'model.onnx', size: 42, sha256: SHA }], metadata: { a: 1 } };
    const signed = { ...manifest, signature: sut.signManifest(manifest) };
    expect(signed.signature).toMatchObject({ algorithm: 'hmac-sha256', keyId: signingKeyId(KEY) });
    expect(sut.manifestProblem(signed)).toBeUndefined();
    expect(sut.manifestProblem({ ...signed, metadata: { a: 1 } })).toBeUndefined(); // same content, new object
    expect(sut.manifestProblem({ ...signed, files: [{ path: 'model.onnx', size: 42, sha256: 'b'.repeat(64) }] })).toBe('its signature does not match its content');
    expect(sut.manifestProblem(manifest)).toBe('it is not signed');
  });

  it('rotates: the first key signs, earlier keys still verify, unknown ones do not', () => {
    const old = new ArtifactSigner(['o'.repeat(32)]);
    const rotated = new ArtifactSigner([KEY, 'o'.repeat(32)]);
    expect(rotated.keyId).toBe(signingKeyId(KEY));
    expect(rotated.objectProblem('x', SHA, 1, old.signObject('x', SHA, 1))).toBeUndefined();
    const manifest = { name: 'm' };
    expect(rotated.manifestProblem({ ...manifest, signature: old.signManifest(manifest) })).toBeUndefined();
    expect(sut.manifestProblem({ ...manifest, signature: old.signManifest(manifest) })).toMatch(/unknown key/);
    expect(ArtifactSigner.fromKeys([])).toBeUndefined();
    expect(ArtifactSigner.fromKeys(undefined)).toBeUndefined();
  });
});
