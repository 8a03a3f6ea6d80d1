#!/usr/bin/env node
// The `assay` command. Runs the compiled CLI (shared/cli/dist), building first when dist/ is missing or stale.
const { ensureBuild } = require('./ensure-build');

try {
  ensureBuild();
} catch (error) {
  console.error(`assay: ${error.message}`);
  process.exit(1);
}
require('../dist/main.js')
  .main(process.argv)
  .catch((error) => {
    console.error(`assay: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
