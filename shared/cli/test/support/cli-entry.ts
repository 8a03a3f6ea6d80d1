// The `assay` command from its TypeScript sources, exiting as bin/assay.js does: tests run it as a child process
// (node shared/cli/bin/run-ts.js shared/cli/test/support/cli-entry.ts <args>) without building dist/ first.
import { main } from '../../src/main';

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`assay: ${(error as Error)?.message ?? error}`);
    process.exit(1);
  },
);
