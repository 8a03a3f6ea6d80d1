import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { COMMANDS } from '../src/main';

const ROOT = path.resolve(__dirname, '../../..');

/** What `assay <args>` loads: the heavy packages and the Assay packages (from the sources, through swc). */
function loadedBy(args: string[]): { code: number; heavy: string[]; assayPackages: string[] } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'shared/cli/bin/run-ts.js'), 'shared/cli/test/support/loaded-modules.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ASSAY_DATA_DIR: path.join(ROOT, '.assay-none'), ASSAY_PORT_BASE: '1' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  const last = run.stderr.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as { code: number; heavy: string[]; assayPackages: string[] };
}

/** Issue 16.3: `assay --help` and `assay status` answer in under a second because they load only what they use. */
describe('assay CLI loads commands lazily', () => {
  it('--help loads no command, no service framework, no runtime', () => {
    const loaded = loadedBy(['--help']);
    expect(loaded.heavy).toEqual([]);
    expect(loaded.assayPackages).toEqual(['cli', 'contracts']); // contracts: its error envelope only
  });

  it('status loads the config and nothing heavy (Nest, NATS, onnxruntime, tfjs, the object store)', () => {
    const loaded = loadedBy(['status', '--json']);
    expect(loaded.code).toBe(3); // nothing listens on port base 1: unreachable
    expect(loaded.heavy).toEqual([]);
    expect(loaded.assayPackages).not.toContain('forge');
    expect(loaded.assayPackages).not.toContain('messaging');
  });

  it('every command of the table loads under its own name', async () => {
    for (const entry of COMMANDS) expect((await entry.load()).name()).toBe(entry.name);
  });
});
