import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { z } from 'zod/v4';

/**
 * Tamper evidence for artifacts: HMAC-SHA256 with the platform's secret (ASSAY_SIGNING_KEY).
 *
 * Every object the ObjectStore writes carries `x-amz-meta-assay-signature`, a MAC over its key, sha256 and
 * size; every manifest carries a `signature` over its canonical JSON. Write access to the bucket is not
 * enough to forge either, so a swapped model file, a rewritten manifest, or a signed object copied under
 * another key is refused when read. HMAC rather than Ed25519: nearly every Assay process writes artifacts
 * (guides, reports, checkpoints, CLI uploads), so a private signing key would sit beside every verifier
 * anyway; one symmetric secret, handled like the API key, is simpler and has no weaker spot.
 *
 * Rotation: several keys may be configured; the first signs, all verify (each signature names its key id).
 */

export const SIGNATURE_META = 'assay-signature';
export const SIGNATURE_HEADER = `x-amz-meta-${SIGNATURE_META}`;
const OBJECT_CONTEXT = 'assay-object/v1';
const MANIFEST_CONTEXT = 'assay-manifest/v1';

export const ManifestSignatureSchema = z.object({
  algorithm: z.literal('hmac-sha256'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  value: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestSignature = z.infer<typeof ManifestSignatureSchema>;

/** JSON with object keys sorted at every level: the bytes a manifest signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short public name of a key, so a signature says which key made it (never the key itself). */
export function signingKeyId(secret: string): string {
  return createHash('sha256').update(`assay-signing-key-id:${secret}`).digest('hex').slice(0, 16);
}

function equalHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ArtifactSigner {
  private readonly keys: Array<{ id: string; secret: string }>;

  /** `secrets[0]` signs; every one verifies. */
  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('ArtifactSigner needs at least one key');
    this.keys = secrets.map((secret) => ({ id: signingKeyId(secret), secret }));
  }

  /** The signer of a configuration, or undefined when no key is set (artifacts then go unsigned and unchecked). */
  static fromKeys(secrets: readonly string[] | undefined): ArtifactSigner | undefined {
    const keys = (secrets ?? []).filter(Boolean);
    return keys.length ? new ArtifactSigner(keys) : undefined;
  }

  get keyId(): string {
    return this.keys[0].id;
  }

  /** `v1.<key id>.<hex mac>` over the object's key, sha256 and size. */
  signObject(key: string, sha256: string, size: number): string {
    return `v1.${this.keys[0].id}.${this.mac(this.keys[0].secret, `${OBJECT_CONTEXT}\n${key}\n${sha256}\n${size}`)}`;
  }

  /** Undefined when `signature` is a valid one of this object by a configured key; else why not. */
  objectProblem(key: string, sha256: string, size: number, signature: string | undefined): string | undefined {
    if (!signature) return 'it is not signed';
    const [version, keyId, value] = signature.split('.');
    const known = this.keys.find((k) => k.id === keyId);
    if (version !== 'v1' || !known || !value) return `its signature is by an unknown key (${keyId ?? '?'})`;
    return equalHex(value, this.mac(known.secret, `${OBJECT_CONTEXT}\n${key}\n${sha256}\n${size}`)) ? undefined : 'its signature does not match its key, sha256 and size';
  }

  signManifest(manifest: object): ManifestSignature {
    return { algorithm: 'hmac-sha256', keyId: this.keys[0].id, value: this.mac(this.keys[0].secret, `${MANIFEST_CONTEXT}\n${canonicalJson(manifest)}`) };
  }

  /** Undefined when the manifest (its `signature` left out of what is checked) is signed by a configured key. */
  manifestProblem(manifest: { signature?: ManifestSignature } & Record<string, unknown>): string | undefined {
    const { signature, ...body } = manifest;
    if (!signature) return 'it is not signed';
    const known = this.keys.find((k) => k.id === signature.keyId);
    if (!known) return `its signature is by an unknown key (${signature.keyId})`;
    return equalHex(signature.value, this.mac(known.secret, `${MANIFEST_CONTEXT}\n${canonicalJson(body)}`)) ? undefined : 'its signature does not match its content';
  }

  private mac(secret: string, message: string): string {
    return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
  }
}
