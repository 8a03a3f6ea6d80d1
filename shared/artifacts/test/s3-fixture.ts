import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EmbeddedS3, ObjectStore, startEmbeddedS3 } from '@assay/artifacts';

export const TEST_CREDENTIALS = { accessKey: 'assay-test', secretKey: 'assay-test-secret' };
export const TEST_BUCKET = 'assay-test';

export interface S3Fixture {
  s3: EmbeddedS3;
  store: ObjectStore;
  /** A fresh temporary directory, removed by close(). */
  workDir: string;
  close(): Promise<void>;
}

/** A real s3rver on a free port over a temporary directory, and a store on it. */
export async function startS3Fixture(): Promise<S3Fixture> {
  const workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-artifacts-'));
  const s3 = await startEmbeddedS3({ directory: path.join(workDir, 's3'), port: 0, ...TEST_CREDENTIALS, buckets: [TEST_BUCKET] });
  const store = new ObjectStore({
    endpoint: s3.endpoint,
    ...TEST_CREDENTIALS,
    region: 'us-east-1',
    bucket: TEST_BUCKET,
    partSize: 256 * 1024 * 1024,
    tmpDir: workDir,
  });
  return {
    s3,
    store,
    workDir,
    close: async () => {
      await s3.close();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift32), so tests need no fixtures on disk. */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Flips one byte of s3rver's stored copy in place, leaving its recorded sha256 metadata untouched. */
export async function tamperOnDisk(fixture: S3Fixture, key: string, offset = 0): Promise<void> {
  const file = fixture.s3.objectPath(TEST_BUCKET, key);
  const handle = await fs.promises.open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] ^= 0xff;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}
