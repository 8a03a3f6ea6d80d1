// One jest config for the monorepo. Tiers by cost:
//   unit:        *.spec.ts beside the code (pure, no I/O)
//   integration: */test/**/*.int.spec.ts (real nats-server, real S3 server, real onnxruntime)
//   e2e:         e2e/**/*.e2e.spec.ts (whole pipelines across services)
const fs = require('fs');
const swcrc = JSON.parse(fs.readFileSync(__dirname + '/.swcrc', 'utf8'));
const common = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/shared/testing/jest-environment.js',
  transform: { '^.+\\.ts$': ['<rootDir>/shared/testing/jest-transform.js', { ...swcrc, swcrc: false }] },
  moduleNameMapper: { '^@assay/([a-z-]+)$': '<rootDir>/shared/$1/src', '^@assay/([a-z-]+)/([a-z-]+)$': '<rootDir>/shared/$1/src/$2' },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{shared,services}/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{shared,services}/*/test/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.spec.ts'] },
  ],
};
