#!/usr/bin/env node
// Runs a TypeScript entry point of this repo with swc (decorator metadata included), from any cwd.
const path = require('node:path');
const root = path.resolve(__dirname, '../../..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');
require('@swc-node/register');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts.js <file.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 1); // the script sees itself as argv[1], as with plain node
require(path.resolve(process.cwd(), entry));
