#!/bin/sh
# The `assay` CLI inside the image, e.g. `kubectl exec deploy/<release>-assay-certifier -- assay status`.
exec node /app/shared/cli/bin/assay.js "$@"
