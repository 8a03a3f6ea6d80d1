import path from 'node:path';
import { findNatsServer, LocalNats, startNatsServer } from '@assay/messaging';

/**
 * The NATS of the local platform: the one NATS_URL names when it is set (with NATS_USER/NATS_PASSWORD or
 * NATS_TOKEN from the environment), otherwise a nats-server of its own from PATH, on a free loopback port,
 * with JetStream state under `dataDir` and the generated login, so no anonymous client gets in.
 */
export async function localNats(
  explicitUrl: string | undefined,
  dataDir: string,
  auth: { user: string; password: string },
  log: (line: string) => void,
): Promise<LocalNats> {
  if (explicitUrl) return { url: explicitUrl, started: false, stop: async () => undefined };
  const bin = findNatsServer();
  if (!bin) {
    throw new Error(
      `nats-server is not installed.\n` +
        `  Install it (Debian/Ubuntu: sudo apt-get install -y nats-server; macOS: brew install nats-server)\n` +
        `  or point NATS_URL at a running server with JetStream enabled.`,
    );
  }
  const store = path.join(dataDir, 'nats');
  const server = await startNatsServer(bin, store, log, { auth, detached: true });
  log(`started nats-server (JetStream, login required) on ${server.url}, state in ${store}`);
  return server;
}
