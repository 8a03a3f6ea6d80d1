import { Command } from 'commander';
import { loadConfig } from '@assay/platform/config';
import { availableServices } from '../local-stack/services';
import { EXIT, print } from '../output';

/** `assay status`: liveness and readiness of every service, from their /readyz. */
export function statusCommand(): Command {
  return new Command('status')
    .option('--json', 'one JSON object')
    .action(async (options: { json?: boolean }) => {
      const rows = await Promise.all(
        availableServices().map(async (service) => {
          const { host, port } = loadConfig(service).http;
          const url = `http://${host}:${port}`;
          try {
            const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) });
            const body = (await response.json()) as { status: string; checks: Record<string, string> };
            return { service, url, status: body.status, checks: body.checks };
          } catch (error) {
            return { service, url, status: 'down', checks: { http: (error as Error).message } };
          }
        }),
      );
      const allReady = rows.every((r) => r.status === 'ready');
      print({ ready: allReady, services: rows }, Boolean(options.json), (v) =>
        v.services
          .map((r: (typeof rows)[number]) => {
            const bad = Object.entries(r.checks).filter(([, s]) => s !== 'ok').map(([k, s]) => `${k}: ${s}`);
            return `${r.status === 'ready' ? '✔' : '✘'} ${r.service.padEnd(15)} ${r.status.padEnd(10)} ${r.url}${bad.length ? '  (' + bad.join('; ') + ')' : ''}`;
          })
          .join('\n'),
      );
      // No service answers: the platform is unreachable (3); some not ready: an error (1).
      if (rows.every((r) => r.status === 'down')) process.exitCode = EXIT.unreachable;
      else if (!allReady) process.exitCode = EXIT.error;
    });
}
