#!/usr/bin/env node
// The `assay` command. Runs the compiled CLI (shared/cli/dist), building first when dist/ is missing or stale.
const { ensureBuild } = require('./ensure-build');

try {
  ensureBuild();
} catch (error) {
  console.error(`assay: ${error.message}`);
  process.exit(1);
}
// main() reports every error itself and returns the exit code (README: 2 usage, 3 unreachable, 4 failed job);
// a failing command exits at once, so no connection or timer left open can keep it waiting.
require('../dist/main.js')
  .main(process.argv)
  .then((code) => {
    if (code) process.exit(code);
  })
  .catch((error) => {
    console.error(`assay: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
