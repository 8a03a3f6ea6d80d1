import fs from 'node:fs';
import { consumerName, jobNames } from '@assay/messaging';
import { MetricsService } from '@assay/platform';
import { HELM_RENDER, chartValues, container, componentOf, named, ofKind, podSpec, render, renderError, valueSet, type K8sObject } from './fixtures/helm/chart';

/**
 * The chart in operation: how workers and apis scale (KEDA on JetStream lag, HPA, fixed), what rolls the pods,
 * what Prometheus scrapes and alerts on, what the NetworkPolicies let through, the routes in from outside, and
 * the `helm test` hooks (helm-test-hooks.e2e.spec.ts runs them against a real platform).
 */
const renderSet = (name: string | null, ...args: string[]) => render(['--name', 'rel', '--namespace', 'ml', ...(name ? valueSet(name) : []), ...args]);
const workers = (objects: K8sObject[]) => ofKind(objects, 'Deployment').filter((d) => d.metadata.labels?.['assay.io/role'] === 'worker');
const apis = (objects: K8sObject[]) => ofKind(objects, 'Deployment').filter((d) => d.metadata.labels?.['assay.io/role'] === 'api');

const rendererPresent = fs.existsSync(HELM_RENDER);
const describeChart = rendererPresent ? describe : describe.skip;

describeChart('helm chart in operation', () => {
  describe('scaling.mode keda: workers on JetStream lag, to zero; apis on CPU', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = renderSet('keda');
    });

    it("scales each worker with one nats-jetstream trigger per queue, on the queue's durable consumer", () => {
      const values = chartValues();
      const names = jobNames('assay');
      expect(workers(objects).map((d) => d.metadata.name).sort()).toEqual(ofKind(objects, 'ScaledObject').map((s) => s.metadata.name).sort());
      for (const so of ofKind(objects, 'ScaledObject')) {
        const worker = named(objects, 'Deployment', so.spec.scaleTargetRef.name);
        const service = worker.metadata.labels!['assay.io/service'];
        expect(worker.spec.replicas).toBeUndefined();
        expect(so.spec).toMatchObject({ minReplicaCount: 0, pollingInterval: 10, cooldownPeriod: 120, fallback: { failureThreshold: 3, replicas: 1 } });
        expect(so.spec.maxReplicaCount).toBe(service === 'guide-training' ? 3 : values.services[service].worker.maxReplicas);
        expect(so.spec.triggers).toEqual(
          values.services[service].jobQueues.map((queue: string) => ({
            type: 'nats-jetstream',
            metadata: {
              natsServerMonitoringEndpoint: 'rel-assay-nats-headless.ml.svc:8222',
              account: '$G',
              stream: names.stream,
              consumer: consumerName(queue),
              lagThreshold: '1',
              activationLagThreshold: '0',
              useHttps: 'false',
            },
          })),
        );
      }
      const hpaTargets = ofKind(objects, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name).sort();
      expect(hpaTargets).toEqual(apis(objects).map((d) => d.metadata.name).sort());
    });

    it('follows the namespace: two releases on one NATS scale on their own streams', () => {
      const so = named(renderSet('keda', '--set', 'config.ASSAY_NAMESPACE=team_a'), 'ScaledObject', 'rel-assay-certifier-worker');
      expect(so.spec.triggers.map((t: { metadata: { stream: string } }) => t.metadata.stream)).toEqual([jobNames('team_a').stream, jobNames('team_a').stream]);
      // The older name still works.
      const old = named(renderSet('keda', '--set', 'config.ASSAY_JOBS_NAMESPACE=team_b'), 'ScaledObject', 'rel-assay-certifier-worker');
      expect(old.spec.triggers.map((t: { metadata: { stream: string } }) => t.metadata.stream)).toEqual([jobNames('team_b').stream, jobNames('team_b').stream]);
    });
  });

  it('scaling.mode hpa: CPU HPAs for every Deployment, workers never below one replica', () => {
    const objects = renderSet('hpa');
    expect(ofKind(objects, 'ScaledObject')).toEqual([]);
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(ofKind(objects, 'Deployment').filter((d) => componentOf(d) !== undefined && d.metadata.labels?.['assay.io/role']).map((d) => d.metadata.name).sort());
    for (const hpa of hpas) {
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
      expect(named(objects, 'Deployment', hpa.spec.scaleTargetRef.name).spec.replicas).toBeUndefined();
    }
  });

  it('scaling.mode none: fixed replicas, no autoscaler', () => {
    const objects = renderSet(null, '--set', 'scaling.mode=none', '--set', 'services.certifier.worker.replicas=3');
    expect([...ofKind(objects, 'ScaledObject'), ...ofKind(objects, 'HorizontalPodAutoscaler')]).toEqual([]);
    expect(named(objects, 'Deployment', 'rel-assay-certifier-worker').spec.replicas).toBe(3);
    for (const d of [...apis(objects), ...workers(objects)]) expect(d.spec.replicas).toBeGreaterThanOrEqual(1);
  });

  it('rolls the pods when the configuration or a credential given in values changes, and only then', () => {
    const checksums = (...args: string[]) => {
      const pod = named(renderSet(null, ...args), 'Deployment', 'rel-assay-generation').spec.template.metadata.annotations;
      return [pod['checksum/config'], pod['checksum/secret']];
    };
    const [config, secret] = checksums();
    expect(checksums('--set', 'services.generation.api.minReplicas=2')).toEqual([config, secret]);
    expect(checksums('--set', 'config.LOG_LEVEL=debug')[0]).not.toBe(config);
    expect(checksums('--set', 'perspective.apiKey=abcdefghijklmnopqrstuvwxyz')[1]).not.toBe(secret);
    expect(named(renderSet(null), 'StatefulSet', 'rel-assay-nats').spec.template.metadata.annotations['checksum/secret']).toBe(secret);
  });

  describe('monitoring', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = renderSet('keda');
    });

    it('scrapes every api and worker pod, and the NATS exporter with JetStream metrics named as the official NATS chart names them', () => {
      const monitor = named(objects, 'ServiceMonitor', 'rel-assay');
      const components = [...apis(objects), ...workers(objects)].map(componentOf).sort();
      expect(monitor.spec.selector.matchExpressions[0].values.sort()).toEqual(components);
      expect(monitor.spec.podTargetLabels).toEqual(['assay.io/service', 'assay.io/role']);
      expect(monitor.metadata.labels!.release).toBe('kube-prometheus-stack');
      const exporter = podSpec(named(objects, 'StatefulSet', 'rel-assay-nats')).containers.find((c: { name: string }) => c.name === 'metrics');
      expect(exporter.args).toEqual(expect.arrayContaining(['-prefix=nats', '-jsz=all', 'http://127.0.0.1:8222']));
      expect(exporter.image).toMatch(/^natsio\/prometheus-nats-exporter:\d+\.\d+\.\d+$/);
      expect(named(objects, 'ServiceMonitor', 'rel-assay-nats').spec.endpoints[0].port).toBe('metrics');
      expect(named(objects, 'Service', 'rel-assay-nats').spec.ports).toContainEqual(expect.objectContaining({ name: 'metrics', port: 7777 }));
    });

    it('alerts on readiness, errors, p99 latency, dead-lettered and stuck jobs, and GPU memory, on metrics that exist', () => {
      const rule = named(objects, 'PrometheusRule', 'rel-assay');
      const alerts = rule.spec.groups.flatMap((g: { rules: Array<{ alert: string; expr: string }> }) => g.rules);
      const expr = (name: string) => alerts.find((a: { alert: string }) => a.alert === name)!.expr;
      expect(alerts.map((a: { alert: string }) => a.alert).sort()).toEqual(
        ['AssayDeploymentNotReady', 'AssayMetricsDown', 'AssayRequestErrors', 'AssayLatencyP99High', 'AssayJobsDeadLettered', 'AssayJobsRetrying', 'AssayJobsBacklog', 'AssayGpuMemoryHigh'].sort(),
      );
      // The service metrics the rules read are the ones MetricsService exports.
      const exported = (new MetricsService().registry.getMetricsAsArray() as Array<{ name: string }>).map((m) => m.name);
      for (const [alert, metric] of [['AssayRequestErrors', 'assay_requests_total'], ['AssayLatencyP99High', 'assay_request_duration_seconds']]) {
        expect(exported).toContain(metric);
        expect(expr(alert)).toContain(metric);
      }
      expect(expr('AssayRequestErrors')).toContain('code=~"INTERNAL|UNAVAILABLE|TIMEOUT"');
      expect(expr('AssayLatencyP99High')).toMatch(/histogram_quantile\(0\.99, .*assay_request_duration_seconds_bucket/);
      expect(expr('AssayDeploymentNotReady')).toContain('deployment=~"rel-assay-auditor|rel-assay-auditor-worker|');
      const names = jobNames('assay');
      expect(expr('AssayJobsDeadLettered')).toContain(`nats_stream_last_seq{stream_name="${names.dlqStream}"}`);
      expect(expr('AssayJobsBacklog')).toContain(`nats_consumer_num_pending{stream_name="${names.stream}"}`);
      expect(expr('AssayGpuMemoryHigh')).toContain('DCGM_FI_DEV_FB_USED{exported_namespace="ml", exported_pod=~"(rel-assay-likelihood)-.+"}');
      expect(expr('AssayGpuMemoryHigh')).toContain('DCGM_FI_DEV_FB_FREE{namespace="ml", pod=~"(rel-assay-likelihood)-.+"}');
      // Without a GPU service there is no GPU rule.
      const cpuOnly = named(renderSet(null, '--set', 'prometheusRule.enabled=true'), 'PrometheusRule', 'rel-assay');
      expect(cpuOnly.spec.groups.map((g: { name: string }) => g.name)).toEqual(['assay.services', 'assay.jobs']);
    });
  });

  describe('network policies', () => {
    it('let Assay pods reach only DNS, the deployed NATS and MinIO; KEDA and Prometheus reach the NATS monitoring ports', () => {
      const objects = renderSet('keda');
      const services = named(objects, 'NetworkPolicy', 'rel-assay-services');
      expect(services.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(services.spec.podSelector.matchExpressions[0].values.sort()).toEqual([...apis(objects), ...workers(objects)].map(componentOf).sort());
      const egress = services.spec.egress;
      expect(egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
      expect(egress.slice(1).map((r: { ports: Array<{ port: number }> }) => r.ports[0].port)).toEqual([4222, 9000]);
      const nats = named(objects, 'NetworkPolicy', 'rel-assay-nats');
      const monitor = nats.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports[0].port === 'monitor');
      expect(monitor.from).toEqual([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      ]);
      expect(nats.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports[0].port === 'metrics')).toBeDefined();
      expect(nats.spec.egress).toEqual([egress[0]]);
    });

    it('send Assay pods to an external NATS and S3 only through the rules given', () => {
      const objects = renderSet('external');
      const egress = named(objects, 'NetworkPolicy', 'rel-assay-services').spec.egress;
      expect(egress).toHaveLength(4);
      expect(egress.slice(1).map((r: { ports: Array<{ port: number }> }) => r.ports[0].port)).toEqual([4222, 443, 4318]);
    });
  });

  it('routes outside traffic to the gateway (and any path to its own service) by Ingress and HTTPRoute', () => {
    const objects = renderSet('gateway-edge');
    const ingress = named(objects, 'Ingress', 'rel-assay');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ secretName: 'assay-tls', hosts: ['assay.example.com'] }]);
    expect(ingress.spec.rules[0].http.paths.map((p: { path: string; backend: { service: { name: string; port: { name: string } } } }) => [p.path, p.backend.service.name, p.backend.service.port.name])).toEqual([
      ['/', 'rel-assay-gateway', 'http'],
      ['/v1/reports', 'rel-assay-certifier', 'http'],
    ]);
    const route = named(objects, 'HTTPRoute', 'rel-assay');
    expect(route.spec.parentRefs).toEqual([{ name: 'shared', namespace: 'gateway-system', sectionName: 'https' }]);
    expect(route.spec.rules.map((r: { backendRefs: Array<{ name: string; port: number }>; timeouts: { request: string } }) => [r.backendRefs[0].name, r.backendRefs[0].port, r.timeouts.request])).toEqual([
      ['rel-assay-gateway', 8080, '300s'],
      ['rel-assay-certifier', 8080, '300s'],
    ]);
    for (const name of ['rel-assay-gateway', 'rel-assay-certifier']) expect(named(objects, 'Service', name).spec.ports[0].port).toBe(8080);
    expect(renderError(['--set', 'ingress.enabled=true'])).toContain('routes to services.gateway, which is not enabled');
  });

  describe('helm test hooks', () => {
    it('check /readyz of every api Service, then certify once through the certifier', () => {
      const objects = renderSet(null);
      const [readyz, certify] = ['rel-assay-test-readyz', 'rel-assay-test-certify'].map((name) => named(objects, 'Pod', name));
      for (const [pod, weight] of [[readyz, '0'], [certify, '1']] as const) {
        expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test', 'helm.sh/hook-weight': weight });
        expect(pod.spec.restartPolicy).toBe('Never');
        expect(container(pod).args.slice(0, 2)).toEqual(['node', '-e']);
        expect(podSpec(pod).securityContext.runAsNonRoot).toBe(true);
      }
      const urls = container(readyz).env.find((e: { name: string }) => e.name === 'ASSAY_TEST_URLS').value.split(' ');
      expect(urls).toEqual(apis(objects).map((d) => `http://${d.metadata.name}:8080/readyz`));
      const env = container(certify).env.map((e: { name: string }) => e.name);
      expect(env).toEqual(expect.arrayContaining(['ASSAY_TEST_CERTIFIER_URL', 'ASSAY_API_KEYS', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_TOKEN']));
      expect(ofKind(renderSet(null, '--set', 'tests.enabled=false'), 'Pod')).toEqual([]);
      expect(renderError(['--set', 'services.certifier.enabled=false'])).toContain('tests.certify needs services.certifier');
    });
  });
});
