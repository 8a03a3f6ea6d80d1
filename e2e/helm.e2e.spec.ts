import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { QUEUE_CONTRACTS, SERVICES } from '@assay/contracts';
import { ENV } from '@assay/platform';
import {
  CHART,
  HELM_RENDER,
  ObjectValidator,
  chartValues,
  componentOf,
  container,
  envOf,
  named,
  ofKind,
  podSpec,
  readYaml,
  render,
  renderError,
  valueSet,
  valueSetValues,
  valuesValidator,
  type EnvVar,
  type K8sObject,
} from './fixtures/helm/chart';

/**
 * The Helm chart: values checked against values.schema.json, every rendered object against the Kubernetes 1.30
 * and CRD schemas, for the value sets a platform team uses (defaults, GPU pools, external NATS/S3, KEDA, HPA
 * only, gateway at the edge), and the structure each of them promises. Scaling, monitoring, network policies,
 * routes and `helm test` hooks: helm-operations.e2e.spec.ts.
 */
const VALUE_SETS = ['defaults', 'gpu-pools', 'external', 'keda', 'hpa', 'gateway-edge'];
const renderSet = (name: string, ...args: string[]) => render(['--name', 'rel', '--namespace', 'ml', ...(name === 'defaults' ? [] : valueSet(name)), ...args]);
const SECRET_NAMES = ['ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'PERSPECTIVE_API_KEY'];
const CHART_SERVICES = Object.keys(chartValues().services);
const KNOWN_ENV = new Set<string>([
  ...Object.keys(ENV),
  ...CHART_SERVICES.map((s) => `ASSAY_${s.toUpperCase().replace(/-/g, '_')}_PORT`),
  'OTEL_RESOURCE_ATTRIBUTES',
]);
/** What the defaults render: an api per service, a worker per service with job queues (QUEUE_CONTRACTS). */
const QUEUES_OF = (service: string) => Object.keys(QUEUE_CONTRACTS).filter((q) => q.startsWith(`${service}.`)).sort();
const WITH_JOBS = [...SERVICES].filter((s) => QUEUES_OF(s).length > 0);
const DEFAULT_COMPONENTS = [...SERVICES, ...WITH_JOBS.map((s) => `${s}-worker`)].sort();
const assayDeployments = (objects: K8sObject[]) => ofKind(objects, 'Deployment').filter((d) => d.metadata.labels?.['assay.io/service']);

const rendererPresent = fs.existsSync(HELM_RENDER);
const describeChart = rendererPresent ? describe : describe.skip;
if (!rendererPresent) console.warn(`helm chart tests skipped: ${HELM_RENDER} is missing (build it with its build.sh)`);

describeChart(`helm chart helm/assay${rendererPresent ? '' : ' (SKIPPED: helm-render binary missing)'}`, () => {
  describe('values.schema.json', () => {
    const validate = valuesValidator();

    it('accepts values.yaml and every value set', () => {
      for (const name of VALUE_SETS) {
        const ok = validate(chartValues(name === 'defaults' ? {} : valueSetValues(name)));
        expect({ name, errors: ok ? null : validate.errors }).toEqual({ name, errors: null });
      }
    });

    it('refuses a misspelt key, naming it, and values of the wrong kind', () => {
      const cases: Array<[object, string]> = [
        [{ gpu: { enable: true } }, 'enable'],
        [{ services: { generation: { gpu: { enable: true } } } }, 'enable'],
        [{ scaling: { mod: 'keda' } }, 'mod'],
        [{ services: { certifier: { worker: { minReplica: 0 } } } }, 'minReplica'],
        [{ services: { generation: { replicas: 2 } } }, 'replicas'],
      ];
      for (const [overlay, key] of cases) {
        expect(validate(chartValues(overlay))).toBe(false);
        expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: key } }));
      }
      for (const overlay of [{ scaling: { mode: 'kedaa' } }, { image: { digest: 'latest' } }, { nats: { auth: { token: '12345' } } }, { nats: { jobsReplicas: 0 } }]) {
        expect(validate(chartValues(overlay))).toBe(false);
      }
    });

    it('declares every key of values.yaml (none passes only as an unknown property)', () => {
      const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
      const resolve = (s: any): any => (s?.$ref ? resolve(schema.definitions[s.$ref.split('/').pop()]) : s);
      const undeclared: string[] = [];
      const walk = (value: unknown, s: any, at: string) => {
        s = resolve(s);
        if (Array.isArray(value)) return value.forEach((item, i) => walk(item, s?.items, `${at}[${i}]`));
        if (value === null || typeof value !== 'object' || !s) return;
        for (const [key, child] of Object.entries(value)) {
          const declared = s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
          if (declared) walk(child, declared, `${at}.${key}`);
          else if (s.additionalProperties === false) undeclared.push(`${at}.${key}`);
        }
      };
      walk(chartValues(), schema, 'values');
      expect(undeclared).toEqual([]);
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    });
  });

  const validator = new ObjectValidator();
  describe.each(VALUE_SETS)('value set %s', (name) => {
    it('renders objects that are valid Kubernetes 1.30 and CRD objects, with unique names per kind', () => {
      const objects = renderSet(name);
      expect(validator.problems(objects)).toEqual([]);
      const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  it('checks objects for real: a misspelt field or a wrong type is an error', () => {
    const deployment = structuredClone(named(renderSet('defaults'), 'Deployment', 'rel-assay-certifier'));
    deployment.spec.template.spec.containers[0].imagePullPolicey = 'Always';
    deployment.spec.replicas = 'two';
    const problems = validator.problems([deployment]);
    expect(problems.join('\n')).toContain('imagePullPolicey');
    expect(problems.join('\n')).toContain('/spec/replicas');
  });

  describe('defaults: every service, NATS and MinIO deployed by the chart', () => {
    let objects: K8sObject[] = [];
    let deployments: K8sObject[] = [];
    beforeAll(() => {
      objects = renderSet('defaults');
      deployments = assayDeployments(objects);
    });

    it('lists every service of shared/contracts with its job queues, and the upcoming ones disabled', () => {
      const values = chartValues();
      const enabled = CHART_SERVICES.filter((s) => values.services[s].enabled).sort();
      expect(enabled).toEqual([...SERVICES].sort());
      for (const service of enabled) expect([...values.services[service].jobQueues].sort()).toEqual(QUEUES_OF(service));
      const upcoming = Object.keys(values.services).filter((name) => !(SERVICES as readonly string[]).includes(name));
      for (const name of upcoming) expect(values.services[name].enabled).toBe(false);
    });

    it('splits services with job queues into api and worker Deployments, each with ASSAY_ROLE, probes and a drain window', () => {
      expect(deployments.map(componentOf).sort()).toEqual(DEFAULT_COMPONENTS);
      for (const deployment of deployments) {
        const service = deployment.metadata.labels!['assay.io/service'];
        const role = deployment.metadata.labels!['assay.io/role'];
        expect(componentOf(deployment)).toBe(role === 'api' ? service : `${service}-worker`);
        const c = container(deployment);
        expect(c.args).toEqual([service]);
        expect(c.image).toBe('assay:0.1.0');
        expect(envOf(deployment)).toMatchObject({ ASSAY_ROLE: role, [`ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`]: '8080' });
        expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
        expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
        expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
        expect(podSpec(deployment).securityContext.runAsNonRoot).toBe(true);
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/assay']);
        // The emptyDirs on node disk: the 10Gi cache and the 2Gi /tmp.
        expect(c.resources.requests['ephemeral-storage']).toBe('12Gi');
        expect(c.resources.limits['nvidia.com/gpu']).toBeUndefined();
        expect(podSpec(deployment).nodeSelector).toBeUndefined();
        expect(podSpec(deployment).runtimeClassName).toBeUndefined();

        const svc = named(objects, 'Service', deployment.metadata.name);
        expect(svc.spec.selector).toEqual(deployment.spec.selector.matchLabels);
        expect(svc.spec.clusterIP).toBe(role === 'worker' ? 'None' : undefined);
        expect(named(objects, 'PodDisruptionBudget', deployment.metadata.name).spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      }
      // The api keeps its pre-split selector, so an upgrade from chart 0.1 keeps its Deployments.
      expect(named(objects, 'Deployment', 'rel-assay-certifier').spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'assay',
        'app.kubernetes.io/instance': 'rel',
        'app.kubernetes.io/component': 'certifier',
      });
    });

    it('sets only known environment variables, secrets only from Secrets that hold them', () => {
      const config = named(objects, 'ConfigMap', 'rel-assay-config').data!;
      const names = new Set(Object.keys(config));
      for (const deployment of deployments) {
        const env: EnvVar[] = container(deployment).env;
        expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
        for (const e of env) {
          names.add(e.name);
          const ref = e.valueFrom?.secretKeyRef;
          if (SECRET_NAMES.includes(e.name)) expect(named(objects, 'Secret', ref!.name).data).toHaveProperty(ref!.key);
        }
        expect(container(deployment).envFrom).toEqual([{ configMapRef: { name: 'rel-assay-config' } }]);
      }
      expect([...names].filter((n) => !KNOWN_ENV.has(n))).toEqual([]);
      for (const needed of ['NATS_URL', 'S3_ENDPOINT', 'ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_TOKEN', 'ASSAY_JOBS_REPLICAS']) expect(names).toContain(needed);
      expect(config.ASSAY_JOBS_REPLICAS).toBe('1');
    });

    it('keeps secrets out of the ConfigMap and points it at the NATS and MinIO it deploys', () => {
      const config = named(objects, 'ConfigMap', 'rel-assay-config').data!;
      const secretValues = Object.values(named(objects, 'Secret', 'rel-assay').data!).map((b64) => Buffer.from(b64, 'base64').toString('utf8'));
      for (const name of SECRET_NAMES) expect(config).not.toHaveProperty(name);
      expect(secretValues.length).toBeGreaterThanOrEqual(4);
      // A generated artifact signing key, long enough for ASSAY_SIGNING_KEY's check.
      expect(Buffer.from(named(objects, 'Secret', 'rel-assay').data!.ASSAY_SIGNING_KEY, 'base64').toString()).toMatch(/^[A-Za-z]{40}$/);
      for (const value of secretValues) {
        expect(value.length).toBeGreaterThanOrEqual(20);
        for (const configValue of Object.values(config)) expect(configValue).not.toContain(value);
      }
      expect(config).toMatchObject({ ASSAY_HOST: '0.0.0.0', NATS_URL: 'nats://rel-assay-nats:4222', S3_ENDPOINT: 'http://rel-assay-minio:9000' });
      expect(config.OTEL_RESOURCE_ATTRIBUTES).toContain('k8s.namespace.name=ml');
    });

    it('deploys NATS with JetStream, a generated token and the monitoring port KEDA reads; MinIO and its bucket Job; images pinned', () => {
      const nats = named(objects, 'StatefulSet', 'rel-assay-nats');
      expect(nats.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
      const natsConf = named(objects, 'ConfigMap', 'rel-assay-nats').data!['nats.conf'];
      expect(natsConf).toMatch(/jetstream\s*\{[^}]*store_dir: "\/data"/);
      expect(natsConf).toContain('http_port: 8222');
      expect(natsConf).toContain('token: $NATS_TOKEN');
      expect(container(nats).env.find((e: EnvVar) => e.name === 'NATS_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'rel-assay', key: 'NATS_TOKEN' });
      const token = Buffer.from(named(objects, 'Secret', 'rel-assay').data!.NATS_TOKEN, 'base64').toString('utf8');
      expect(token).toMatch(/^[A-Za-z]{40}$/);
      expect(named(objects, 'Service', 'rel-assay-nats-headless').spec.ports).toContainEqual(expect.objectContaining({ name: 'monitor', port: 8222 }));
      expect(container(named(objects, 'StatefulSet', 'rel-assay-minio')).env.find((e: EnvVar) => e.name === 'MINIO_BROWSER').value).toBe('off');
      expect(named(objects, 'Job', 'rel-assay-minio-bucket').metadata.annotations!['helm.sh/hook']).toBe('post-install,post-upgrade');
      // Third-party images carry a full version (or release stamp), never a floating tag.
      for (const image of [container(nats).image, container(named(objects, 'StatefulSet', 'rel-assay-minio')).image]) {
        expect(image).toMatch(/:(\d+\.\d+\.\d+(-[a-z]+)?|RELEASE\.[0-9TZ-]+)$/);
      }
    });
  });

  it('runs the deployed NATS with generated user/password credentials when asked, and gives them to every service', () => {
    const objects = renderSet('defaults', '--set', 'nats.auth.type=userPassword');
    const data = named(objects, 'Secret', 'rel-assay').data!;
    const decoded = (key: string) => Buffer.from(data[key], 'base64').toString('utf8');
    expect(decoded('NATS_USER')).toBe('assay');
    expect(decoded('NATS_PASSWORD')).toMatch(/^[A-Za-z]{40}$/);
    expect(data).not.toHaveProperty('NATS_TOKEN');
    expect(named(objects, 'ConfigMap', 'rel-assay-nats').data!['nats.conf']).toMatch(/authorization \{\s*user: \$NATS_USER\s*password: \$NATS_PASSWORD\s*\}/);
    for (const workload of [...assayDeployments(objects), named(objects, 'StatefulSet', 'rel-assay-nats')]) {
      const refs = (container(workload).env as EnvVar[]).filter((e) => e.name.startsWith('NATS_')).map((e) => [e.name, e.valueFrom?.secretKeyRef]);
      expect(refs).toEqual([
        ['NATS_USER', { name: 'rel-assay', key: 'NATS_USER' }],
        ['NATS_PASSWORD', { name: 'rel-assay', key: 'NATS_PASSWORD' }],
      ]);
    }
  });

  describe('GPU pools', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = renderSet('gpu-pools');
    });

    it("puts a service's own GPU node selector in place of the default, never merged with it", () => {
      const generation = named(objects, 'Deployment', 'rel-assay-generation');
      expect(podSpec(generation).nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
      expect(podSpec(named(objects, 'Deployment', 'rel-assay-likelihood')).nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    });

    it('gives GPU roles the CUDA image by digest, GPU limits, tolerations, the RuntimeClass and one-at-a-time rollouts', () => {
      const gpuRoles = { 'rel-assay-generation': 1, 'rel-assay-likelihood': 2, 'rel-assay-auditor-worker': 1 };
      for (const [name, count] of Object.entries(gpuRoles)) {
        const d = named(objects, 'Deployment', name);
        expect(container(d).image).toBe('registry.example.com/assay:0.2.0-cuda@sha256:' + '2'.repeat(64));
        expect(container(d).resources.limits['nvidia.com/gpu']).toBe(count);
        expect(podSpec(d).tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
        expect(podSpec(d).runtimeClassName).toBe('nvidia');
        expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
        expect(envOf(d).ASSAY_RUNTIME_EXECUTION_PROVIDERS).toBe('cuda,cpu');
      }
      for (const d of assayDeployments(objects).filter((d) => !(d.metadata.name in gpuRoles))) {
        expect(container(d).image).toBe('registry.example.com/assay:0.2.0@sha256:' + '1'.repeat(64));
        expect(container(d).resources.limits['nvidia.com/gpu']).toBeUndefined();
        expect(podSpec(d).tolerations).toBeUndefined();
        expect(podSpec(d).runtimeClassName).toBeUndefined();
        expect(envOf(d)).not.toHaveProperty('ASSAY_RUNTIME_EXECUTION_PROVIDERS');
      }
      // The auditor's api answers requests; only its workers run the classifier.
      expect(podSpec(named(objects, 'Deployment', 'rel-assay-auditor')).nodeSelector).toBeUndefined();
    });

    it('applies affinity and topology spread (with the pods own selector), a fixed size and a per-pod cache PVC', () => {
      const generation = named(objects, 'Deployment', 'rel-assay-generation');
      expect(generation.spec.replicas).toBe(2);
      expect(ofKind(objects, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).not.toContain('rel-assay-generation');
      expect(podSpec(generation).topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: generation.spec.selector.matchLabels } });
      expect(podSpec(named(objects, 'Deployment', 'rel-assay-likelihood')).affinity.nodeAffinity).toBeDefined();
      const cache = podSpec(generation).volumes.find((v: { name: string }) => v.name === 'cache');
      expect(cache.ephemeral.volumeClaimTemplate.spec).toMatchObject({ storageClassName: 'premium-rwo', resources: { requests: { storage: '40Gi' } } });
      expect(container(generation).resources.requests['ephemeral-storage']).toBe('2Gi');
    });

    it("renders the README's GPU example as documented", () => {
      const readme = fs.readFileSync(path.resolve(CHART, '../README.md'), 'utf8');
      const section = readme.slice(readme.indexOf('## GPU node pools'));
      const example = section.slice(section.indexOf('```yaml') + 7, section.indexOf('```', section.indexOf('```yaml') + 7));
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assay-helm-')), 'readme-gpu.yaml');
      fs.writeFileSync(file, example);
      const rendered = render(['--name', 'rel', '-f', file]);
      expect(valuesValidator()(chartValues(readYaml(file)))).toBe(true);
      const generation = named(rendered, 'Deployment', 'rel-assay-generation');
      expect(podSpec(generation).nodeSelector).toEqual(readYaml(file).services.generation.gpu.nodeSelector);
      expect(container(generation).resources.limits['nvidia.com/gpu']).toBe(1);
    });
  });

  describe('an existing NATS cluster and S3', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      objects = renderSet('external');
    });

    it('deploys no NATS or MinIO and reads addresses, replicas and credentials from values and existing Secrets', () => {
      expect(ofKind(objects, 'StatefulSet')).toEqual([]);
      expect(ofKind(objects, 'Job')).toEqual([]);
      const config = named(objects, 'ConfigMap', 'rel-assay-config').data!;
      expect(config).toMatchObject({ S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', S3_REGION: 'eu-west-1', ASSAY_JOBS_REPLICAS: '3', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318' });
      expect(config.NATS_URL.split(',')).toHaveLength(3);
      const refs = Object.fromEntries((container(named(objects, 'Deployment', 'rel-assay-auditor-worker')).env as EnvVar[]).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom!.secretKeyRef]));
      expect(refs).toEqual({
        ASSAY_API_KEYS: { name: 'rel-assay', key: 'ASSAY_API_KEYS' },
        ASSAY_SIGNING_KEY: { name: 'rel-assay', key: 'ASSAY_SIGNING_KEY' },
        S3_ACCESS_KEY: { name: 's3-creds', key: 'AWS_ACCESS_KEY_ID' },
        S3_SECRET_KEY: { name: 's3-creds', key: 'AWS_SECRET_ACCESS_KEY' },
        NATS_USER: { name: 'nats-creds', key: 'user' },
        NATS_PASSWORD: { name: 'nats-creds', key: 'password' },
      });
      expect(Object.keys(named(objects, 'Secret', 'rel-assay').data!)).toEqual(['ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY']);
      for (const so of ofKind(objects, 'ScaledObject')) {
        for (const trigger of so.spec.triggers) expect(trigger.metadata.natsServerMonitoringEndpoint).toBe('nats-headless.messaging.svc.cluster.local:8222');
      }
    });

    it('refuses what cannot work: replicas on the single bundled server, KEDA or egress rules with nowhere to go', () => {
      expect(renderError(['--set', 'nats.jobsReplicas=3'])).toContain('single server');
      expect(renderError(['--set', 'nats.deploy=false', '--set', 'nats.url=nats://n:4222', '--set', 'nats.auth.type=none', '--set', 'scaling.mode=keda'])).toContain('scaling.keda.natsMonitoringEndpoint');
      expect(renderError([...valueSet('external'), '--set', 'networkPolicy.egress.to=null'])).toContain('networkPolicy.egress.to');
      expect(renderError(['--set', 'nats.deploy=false'])).toContain('nats.url is required');
      expect(renderError(['--set', 'config.S3_SECRET_KEY=plain'])).toContain('S3_SECRET_KEY is a secret');
      expect(renderError(['--set', 'services.generation.env.NATS_TOKEN=plain'])).toContain('NATS_TOKEN is a secret');
      expect(renderError(['--set', 'services.generation.env.ASSAY_ROLE=worker'])).toContain('ASSAY_ROLE is set by the chart');
    });
  });

  it('documents only known variables in the commented examples of values.yaml', () => {
    const values = fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
    const documented = [...values.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(5);
    expect(documented.filter((name) => !KNOWN_ENV.has(name))).toEqual([]);
  });

  it('renders NOTES.txt with the API-key command, each api address and each worker', () => {
    // helm-render parses NOTES.txt but does not print it: render a copy where it is an ordinary template.
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assay-helm-')), 'chart');
    fs.cpSync(CHART, copy, { recursive: true });
    fs.renameSync(path.join(copy, 'templates/NOTES.txt'), path.join(copy, 'templates/zz-notes.yaml'));
    const text = execFileSync(HELM_RENDER, ['--name', 'rel', '--namespace', 'ml', copy], { encoding: 'utf8' });
    const notes = text.slice(text.indexOf('# Source: assay/templates/zz-notes.yaml'));
    expect(notes).toContain("kubectl -n ml get secret rel-assay -o jsonpath='{.data.ASSAY_API_KEYS}'");
    for (const service of SERVICES) expect(notes).toContain(`http://rel-assay-${service}.ml.svc:8080`);
    for (const service of WITH_JOBS) expect(notes).toContain(`deploy/rel-assay-${service}-worker, keda on queues`);
    expect(notes).toContain('helm test rel -n ml');
  });
});
