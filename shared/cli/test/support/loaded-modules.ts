// Runs `assay <args>` from the sources in this process, then prints (on stderr, last line) the heavy packages that got loaded.
import { main } from '../../src/main';

const HEAVY = ['@nestjs', 'onnxruntime-node', '@tensorflow', 'minio', 's3rver', '@opentelemetry/sdk-node', 'nats/'];

void main(['node', 'assay', ...process.argv.slice(2)]).then((code) => {
  const loaded = Object.keys(require.cache);
  const heavy = HEAVY.filter((name) => loaded.some((file) => file.includes(`node_modules/${name}`)));
  const assay = [...new Set(loaded.filter((f) => /shared\/[a-z-]+\/src\//.test(f)).map((f) => f.replace(/^.*shared\/([a-z-]+)\/src\/.*$/, '$1')))].sort();
  process.stderr.write(`\n${JSON.stringify({ code, heavy, assayPackages: assay })}\n`);
  process.exit(0);
});
