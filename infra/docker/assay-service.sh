#!/bin/sh
# Container entrypoint (under tini, which is PID 1 and forwards SIGTERM): starts one Assay service.
#   assay-service generation          or   SERVICE=generation assay-service
#   assay-service assay status        any other command runs as given (the `assay` CLI, sh, ...)
# A service is a folder of /app/services with a compiled entry point, dist/main.js. `exec` makes node tini's
# direct child, so SIGTERM reaches Nest's shutdown hooks, which stop job workers (running jobs checkpoint and are
# handed back) and drain NATS before the process exits. ASSAY_ROLE (api | worker | all) picks what it runs.
set -eu

is_service() {
  case "$1" in "" | *[!a-z0-9-]*) return 1 ;; esac
  [ -f "/app/services/$1/dist/main.js" ]
}

if [ -z "${1:-}" ]; then
  service="${SERVICE:-}"
elif is_service "$1"; then
  service="$1"
else
  exec "$@"
fi

if ! is_service "$service"; then
  echo "assay-service: choose a service with SERVICE=<name> or as the first argument:" \
    "$(cd /app/services && ls | tr '\n' ' ')(got '${service}')" >&2
  exit 64
fi

# One service per container: it listens on 8080 unless ASSAY_<SERVICE>_PORT says otherwise
# (outside containers the port is ASSAY_PORT_BASE + offset; see README, Configuration).
port_var="ASSAY_$(echo "$service" | tr 'a-z-' 'A-Z_')_PORT"
eval "port=\${${port_var}:-8080}"
export "${port_var}=${port}"
export SERVICE="$service"

exec node "/app/services/${service}/dist/main.js"
