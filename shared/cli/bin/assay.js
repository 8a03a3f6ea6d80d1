#!/usr/bin/env node
// The `assay` command. TypeScript sources run through swc, so no build step is needed.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.resolve(__dirname, '../../../tsconfig.json');
require('@swc-node/register');
require('../src/main.ts')
  .main(process.argv)
  .catch((error) => {
    console.error(`assay: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
