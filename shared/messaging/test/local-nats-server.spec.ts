import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectNats, findNatsServer, startNatsServer, type LocalNats } from '../src';

const alive = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0; // a zombie has an empty command line
  } catch {
    return false;
  }
};

/**
 * `assay up` SIGKILLed leaves its nats-server running (a Go binary cannot watch its parent): the next start on the same
 * store stops it first, instead of running a second server on the same JetStream store.
 */
const bin = findNatsServer();
(bin ? describe : describe.skip)('a local nats-server left running by a killed platform', () => {
  const storeDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assay-stale-nats-')), 'nats');
  const servers: LocalNats[] = [];
  afterAll(async () => Promise.all(servers.map((s) => s.stop(1000))));

  it('is stopped by the next start on the same store, which then serves JetStream', async () => {
    const lines: string[] = [];
    const orphan = await startNatsServer(bin!, storeDir, () => undefined, { detached: true });
    servers.push(orphan);
    expect(alive(orphan.pid!)).toBe(true);
    const next = await startNatsServer(bin!, storeDir, (line) => lines.push(line), { detached: true });
    servers.push(next);
    expect(alive(orphan.pid!)).toBe(false);
    expect(lines.join('\n')).toContain(`stopped nats-server pid ${orphan.pid}`);
    const nc = await connectNats({ servers: next.url, name: 'stale-nats-spec' });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'STALE_CHECK', subjects: ['stale.check'] });
      expect((await jsm.streams.info('STALE_CHECK')).config.name).toBe('STALE_CHECK');
    } finally {
      await nc.close();
    }
  });

  it('leaves alone a process whose pid the file names but which is not this store\'s server', async () => {
    const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assay-stale-nats-')), 'nats');
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, 'nats-server.pid'), String(process.pid)); // e.g. a pid reused by another program
    const server = await startNatsServer(bin!, other);
    servers.push(server);
    expect(alive(process.pid)).toBe(true);
  });
});
