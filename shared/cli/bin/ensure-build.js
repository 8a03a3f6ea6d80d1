// Makes sure the compiled JavaScript (`npm run build`: tsc -b into each package's dist/) exists and is newer than
// its TypeScript, so `npm install && npm start` works on a fresh clone and after an edit. Production images build
// once (`npm run build`) and carry no TypeScript compiler: there a missing dist/ is an error, not a build.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../../..');

/** Folders of the packages `tsc -b tsconfig.build.json` compiles. */
function packages() {
  const build = fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  return JSON.parse(build).references.map((ref) => path.join(ROOT, ref.path));
}

function newestSource(dir) {
  let newest = 0;
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  walk(path.join(dir, 'src'));
  for (const file of ['tsconfig.json', 'package.json']) newest = Math.max(newest, fs.statSync(path.join(dir, file)).mtimeMs);
  return newest;
}

/** Packages whose dist/ is missing or older than a source file (tsc -b stamps dist/tsconfig.tsbuildinfo on every build). */
function stalePackages() {
  return packages().filter((dir) => {
    const stamp = path.join(dir, 'dist', 'tsconfig.tsbuildinfo');
    return !fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < newestSource(dir);
  });
}

function ensureBuild({ quiet = false } = {}) {
  const stale = stalePackages();
  if (stale.length === 0) return;
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    throw new Error(`compiled JavaScript is missing or stale in ${stale.map((d) => path.relative(ROOT, d)).join(', ')} and TypeScript is not installed: run \`npm install && npm run build\``);
  }
  if (!quiet) console.error(`[assay] building (${stale.map((d) => path.relative(ROOT, d)).join(', ')} changed): npm run build`);
  const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error('the build failed (npm run build): fix the type errors above');
  // tsc -b skips projects whose outputs are current; stamp them so the next start does not check again.
  const now = new Date();
  for (const dir of stale) {
    const stamp = path.join(dir, 'dist', 'tsconfig.tsbuildinfo');
    if (fs.existsSync(stamp)) fs.utimesSync(stamp, now, now);
  }
}

module.exports = { ensureBuild, stalePackages, ROOT };
