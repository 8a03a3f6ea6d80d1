// Docker HEALTHCHECK (Kubernetes uses its own probes): GET /healthz on this container's service port,
// chosen by the same rule as assay-service.sh (ASSAY_<SERVICE>_PORT, else 8080).
const service = process.env.SERVICE || '';
const portVar = `ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`;
const port = (service && process.env[portVar]) || '8080';
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
