import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  apiKey: string;
  s3AccessKey: string;
  s3SecretKey: string;
  /** Login of the nats-server `assay up` starts; anonymous clients are refused. */
  natsUser: string;
  natsPassword: string;
  /** ASSAY_SIGNING_KEY: the HMAC key artifact manifests and objects are signed with. */
  signingKey: string;
}

function generate(): LocalSecrets {
  return {
    apiKey: `assay_${randomBytes(18).toString('base64url')}`,
    s3AccessKey: `assay${randomBytes(6).toString('hex')}`,
    s3SecretKey: randomBytes(24).toString('base64url'),
    natsUser: 'assay',
    natsPassword: randomBytes(24).toString('base64url'),
    signingKey: randomBytes(32).toString('base64url'),
  };
}

/**
 * Secrets of the local platform, generated once and kept in the data folder (mode 0600), so restarts
 * keep working with the same API key, object store and NATS credentials and signing key. A file written
 * by an older version gets the secrets it lacks. Env always wins.
 */
export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  const existing = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const secrets: LocalSecrets = { ...generate(), ...existing };
  if (Object.keys(existing).length !== Object.keys(secrets).length) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
