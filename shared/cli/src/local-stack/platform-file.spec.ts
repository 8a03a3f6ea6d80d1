import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PORT_OFFSETS } from '@assay/platform';
import { applyPlatformFile, writePlatformFile } from './platform-file';

describe('platform file (.assay/platform.json)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-platform-file-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('records the port base, host, namespace and a service port, so later commands reach that platform', () => {
    writePlatformFile(dataDir, { NATS_URL: 'nats://127.0.0.1:4999', ASSAY_PORT_BASE: '8700', ASSAY_HOST: '127.0.0.1', ASSAY_NAMESPACE: 'ops', ASSAY_AUDITOR_PORT: '9911', HOME: '/x' });
    const recorded = JSON.parse(fs.readFileSync(path.join(dataDir, 'platform.json'), 'utf8')) as Record<string, unknown>;
    expect(recorded).toMatchObject({ ASSAY_PORT_BASE: '8700', ASSAY_NAMESPACE: 'ops', ASSAY_AUDITOR_PORT: '9911', pid: process.pid });
    expect(recorded.HOME).toBeUndefined();

    const env: NodeJS.ProcessEnv = { ASSAY_DATA_DIR: dataDir };
    applyPlatformFile(env);
    expect(loadConfig('certifier', env).http.port).toBe(8700 + PORT_OFFSETS.certifier);
    expect(loadConfig('auditor', env).http.port).toBe(9911);
    expect(loadConfig(undefined, env)).toMatchObject({ namespace: 'ops', nats: { namespace: 'ops', servers: ['nats://127.0.0.1:4999'] }, jobs: { namespace: 'ops' } });

    // What is exported explicitly wins over the file.
    const explicit: NodeJS.ProcessEnv = { ASSAY_DATA_DIR: dataDir, ASSAY_PORT_BASE: '8100' };
    applyPlatformFile(explicit);
    expect(loadConfig('certifier', explicit).http.port).toBe(8100 + PORT_OFFSETS.certifier);
  });

  it('reads ASSAY_JOBS_NAMESPACE, the older name, when ASSAY_NAMESPACE is unset; replicas and role from the environment', () => {
    expect(loadConfig(undefined, { ASSAY_JOBS_NAMESPACE: 'team_a' })).toMatchObject({ namespace: 'team_a', jobs: { namespace: 'team_a', replicas: 1 }, role: 'all' });
    expect(loadConfig(undefined, { ASSAY_JOBS_NAMESPACE: 'team_a', ASSAY_NAMESPACE: 'team_b', ASSAY_JOBS_REPLICAS: '3', ASSAY_ROLE: 'worker' })).toMatchObject({
      namespace: 'team_b',
      jobs: { namespace: 'team_b', replicas: 3 },
      role: 'worker',
    });
    expect(() => loadConfig(undefined, { ASSAY_ROLE: 'both' })).toThrow(/ASSAY_ROLE/);
    expect(() => loadConfig(undefined, { ASSAY_NAMESPACE: 'Team-A' })).toThrow(/ASSAY_NAMESPACE/);
  });
});
