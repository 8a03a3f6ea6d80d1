#!/bin/sh
# The `assay` CLI inside the image, e.g. `kubectl exec deploy/<release>-assay-certifier -- assay jobs list`.
# It runs the compiled CLI (shared/cli/dist); the image carries no TypeScript sources.
exec node -e '
  require("/app/shared/cli/dist/main.js")
    .main(["node", "assay", ...process.argv.slice(1)])
    .catch((error) => {
      console.error(`assay: ${error && error.message ? error.message : error}`);
      process.exit(1);
    });
' -- "$@"
