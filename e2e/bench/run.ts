/**
 * `npm run bench -- <area>`: runs e2e/bench/<area>.bench.ts. Each benchmark measures against a baseline in
 * the same run and prints one JSON object as its LAST line (earlier lines are human-readable progress).
 * Benchmarks are not tests: they assert nothing and are never part of `npm test`.
 */
import fs from 'node:fs';
import path from 'node:path';

async function main() {
  const area = process.argv[2];
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace('.bench.ts', ''));
  if (!area || !available.includes(area)) {
    console.error(`usage: npm run bench -- <area>   (areas: ${available.join(', ')})`);
    process.exit(2);
  }
  const module = (await import(path.join(__dirname, `${area}.bench.ts`))) as { run: (args: string[]) => Promise<Record<string, unknown>> };
  const result = await module.run(process.argv.slice(3));
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
