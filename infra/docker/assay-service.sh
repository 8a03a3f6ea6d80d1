#!/bin/sh
# Container entrypoint (under tini, which is PID 1 and forwards SIGTERM): starts one Assay service.
#   assay-service generation          or   SERVICE=generation assay-service
#   assay-service assay status        any other command runs as given (the `assay` CLI, sh, ...)
# `exec` makes node tini's direct child, so SIGTERM reaches Nest's shutdown hooks, which stop job
# workers (running jobs checkpoint and are handed back) and drain NATS before the process exits.
set -eu

case "${1:-}" in
  "") service="${SERVICE:-}" ;;
  generation | likelihood | guide-training | certifier | auditor) service="$1" ;;
  *) exec "$@" ;;
esac

case "$service" in
  generation | likelihood | guide-training | certifier | auditor) ;;
  *)
    echo "assay-service: choose a service with SERVICE=<name> or as the first argument:" \
      "generation, likelihood, guide-training, certifier, auditor (got '${service}')" >&2
    exit 64
    ;;
esac

# One service per container: it listens on 8080 unless ASSAY_<SERVICE>_PORT says otherwise
# (outside containers the port is ASSAY_PORT_BASE + offset; see README, Configuration).
port_var="ASSAY_$(echo "$service" | tr 'a-z-' 'A-Z_')_PORT"
eval "port=\${${port_var}:-8080}"
export "${port_var}=${port}"
export SERVICE="$service"

exec node -r @swc-node/register "services/${service}/src/main.ts"
