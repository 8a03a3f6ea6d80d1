import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  apiKey: string;
  s3AccessKey: string;
  s3SecretKey: string;
}

/**
 * Secrets of the local platform, generated once and kept in the data folder (mode 0600), so restarts
 * keep working with the same API key and object store credentials. Env always wins.
 */
export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    apiKey: `assay_${randomBytes(18).toString('base64url')}`,
    s3AccessKey: `assay${randomBytes(6).toString('hex')}`,
    s3SecretKey: randomBytes(24).toString('base64url'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
