import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV, PORT_OFFSETS } from '@assay/platform';

// js-yaml comes with @nestjs/swagger (a runtime dependency) and has no bundled types.
const { loadAll } = require('js-yaml') as { loadAll(text: string): unknown[] };

/**
 * The Helm chart, rendered the way `helm template` does (helm-render: Go text/template + sprig, the same
 * engine) and checked on the parsed objects: what every platform team relies on when it installs Assay.
 */
const HELM_RENDER = path.resolve(__dirname, '../../shared/tools/helm-render/helm-render');
const CHART = path.resolve(__dirname, '../helm/assay');
const SERVICES = Object.keys(PORT_OFFSETS).sort();
const SECRET_NAMES = ['ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'PERSPECTIVE_API_KEY'];
/** Names the chart may set besides ENV: the per-service port (read by buildConfig) and the OTel SDK's own. */
const KNOWN_ENV = new Set<string>([
  ...Object.keys(ENV),
  ...SERVICES.map((s) => `ASSAY_${s.toUpperCase().replace(/-/g, '_')}_PORT`),
  'OTEL_RESOURCE_ATTRIBUTES',
]);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

function render(args: string[], chart = CHART): K8sObject[] {
  const text = execFileSync(HELM_RENDER, [...args, chart], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return loadAll(text).filter((doc): doc is K8sObject => doc !== null && typeof doc === 'object');
}

function renderError(args: string[]): string {
  try {
    execFileSync(HELM_RENDER, [...args, CHART], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`rendering with ${args.join(' ')} should have failed`);
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const podSpec = (deployment: K8sObject) => deployment.spec.template.spec;
const container = (deployment: K8sObject) => podSpec(deployment).containers[0];
const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
const assayDeployments = (objects: K8sObject[]) => ofKind(objects, 'Deployment').filter((d) => SERVICES.includes(componentOf(d) ?? ''));
const configMap = (objects: K8sObject[], release: string) => named(objects, 'ConfigMap', `${release}-assay-config`).data ?? {};

function writeValues(dir: string, name: string, yaml: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

const rendererPresent = fs.existsSync(HELM_RENDER);
const describeChart = rendererPresent ? describe : describe.skip;
if (!rendererPresent) console.warn(`helm chart tests skipped: ${HELM_RENDER} is missing (build it with its build.sh)`);

describeChart(`helm chart helm/assay${rendererPresent ? '' : ' (SKIPPED: helm-render binary missing)'}`, () => {
  let tmp = '';
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-helm-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('(a) defaults: every service, NATS and MinIO deployed by the chart', () => {
    let objects: K8sObject[] = [];
    let deployments: K8sObject[] = [];
    let secretValues: string[] = [];
    beforeAll(() => {
      objects = render(['--name', 'rel', '--namespace', 'ml']);
      deployments = assayDeployments(objects);
      const secret = named(objects, 'Secret', 'rel-assay');
      secretValues = Object.values(secret.data ?? {}).map((b64) => Buffer.from(b64, 'base64').toString('utf8'));
    });

    it('has one Deployment and one Service per service, probes on /healthz and /readyz, and a drain window', () => {
      expect(deployments.map(componentOf).sort()).toEqual(SERVICES);
      for (const deployment of deployments) {
        const name = componentOf(deployment)!;
        const c = container(deployment);
        expect(c.args).toEqual([name]);
        expect(c.image).toBe('assay:0.1.0');
        const port = c.ports.find((p: { name: string }) => p.name === 'http');
        expect(port.containerPort).toBe(8080);
        expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(c.startupProbe.httpGet.port).toBe('http');
        expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
        expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
        expect(podSpec(deployment).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
        expect(podSpec(deployment).securityContext.runAsNonRoot).toBe(true);
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/assay']);
        expect(c.resources.limits['nvidia.com/gpu']).toBeUndefined();
        expect(c.env.find((e: EnvVar) => e.name === `ASSAY_${name.toUpperCase().replace(/-/g, '_')}_PORT`).value).toBe('8080');

        const service = named(objects, 'Service', deployment.metadata.name);
        const podLabels = deployment.spec.template.metadata.labels;
        for (const [key, value] of Object.entries(service.spec.selector)) expect(podLabels[key]).toBe(value);
        expect(service.spec.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 'http' })]);
        expect(named(objects, 'PodDisruptionBudget', deployment.metadata.name).spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      }
    });

    it('sets only known environment variables, secrets only from Secrets that hold them', () => {
      const config = configMap(objects, 'rel');
      const names = new Set(Object.keys(config));
      for (const deployment of deployments) {
        const env: EnvVar[] = container(deployment).env;
        expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
        for (const e of env) {
          names.add(e.name);
          const ref = e.valueFrom?.secretKeyRef;
          if (SECRET_NAMES.includes(e.name)) {
            expect(ref).toBeDefined();
            expect(named(objects, 'Secret', ref!.name).data).toHaveProperty(ref!.key);
          }
        }
        expect(container(deployment).envFrom).toEqual([{ configMapRef: { name: 'rel-assay-config' } }]);
      }
      const unknown = [...names].filter((n) => !KNOWN_ENV.has(n));
      expect(unknown).toEqual([]);
      for (const needed of ['NATS_URL', 'S3_ENDPOINT', 'ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'NATS_TOKEN']) expect(names).toContain(needed);
    });

    it('keeps secrets out of the ConfigMap and points it at the NATS and MinIO it deploys', () => {
      const config = configMap(objects, 'rel');
      for (const name of SECRET_NAMES) expect(config).not.toHaveProperty(name);
      expect(secretValues.length).toBeGreaterThanOrEqual(4);
      // A generated artifact signing key, long enough for ASSAY_SIGNING_KEY's check.
      expect(Buffer.from(named(objects, 'Secret', 'rel-assay').data!.ASSAY_SIGNING_KEY, 'base64').toString()).toMatch(/^[A-Za-z]{40}$/);
      for (const value of secretValues) {
        expect(value.length).toBeGreaterThanOrEqual(20);
        for (const configValue of Object.values(config)) expect(configValue).not.toContain(value);
      }
      expect(config.ASSAY_HOST).toBe('0.0.0.0');
      expect(config.NATS_URL).toBe('nats://rel-assay-nats:4222');
      expect(config.S3_ENDPOINT).toBe('http://rel-assay-minio:9000');
      expect(config.OTEL_RESOURCE_ATTRIBUTES).toContain('k8s.namespace.name=ml');
      expect(named(objects, 'Service', 'rel-assay-nats').spec.ports[0].port).toBe(4222);
      expect(named(objects, 'Service', 'rel-assay-minio').spec.ports[0].port).toBe(9000);
    });

    it('deploys NATS with JetStream on a PVC, MinIO on a PVC with the console off, and a bucket-creating Job', () => {
      const nats = named(objects, 'StatefulSet', 'rel-assay-nats');
      expect(nats.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
      const natsConf = named(objects, 'ConfigMap', 'rel-assay-nats').data!['nats.conf'];
      expect(natsConf).toMatch(/jetstream\s*\{[^}]*store_dir: "\/data"/);
      expect(natsConf).toContain('token: $NATS_TOKEN');
      expect(container(nats).env.find((e: EnvVar) => e.name === 'NATS_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'rel-assay', key: 'NATS_TOKEN' });

      const minio = named(objects, 'StatefulSet', 'rel-assay-minio');
      expect(minio.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      const minioEnv: EnvVar[] = container(minio).env;
      expect(minioEnv.find((e) => e.name === 'MINIO_BROWSER')!.value).toBe('off');
      expect(minioEnv.find((e) => e.name === 'MINIO_ROOT_PASSWORD')!.valueFrom!.secretKeyRef).toEqual({ name: 'rel-assay', key: 'S3_SECRET_KEY' });

      const job = named(objects, 'Job', 'rel-assay-minio-bucket');
      expect(job.metadata.annotations!['helm.sh/hook']).toBe('post-install,post-upgrade');
      expect(container(job).args[0]).toContain('mb --ignore-existing');
    });
  });

  describe('(b) GPU generation with an existing NATS and S3', () => {
    let objects: K8sObject[] = [];
    beforeAll(() => {
      const values = writeValues(
        tmp,
        'gpu.yaml',
        [
          'image: { repository: registry.example.com/assay, tag: "0.1.0" }',
          'services:',
          '  generation:',
          '    gpu: { enabled: true, count: 1 }',
          '    env: { ASSAY_PRELOAD_MODELS: "gpt2@1" }',
          '  guide-training: { enabled: false }',
          'nats:',
          '  deploy: false',
          '  url: nats://nats.messaging.svc:4222',
          '  auth: { type: userPassword, existingSecret: nats-creds, userKey: user, passwordKey: password }',
          'minio:',
          '  deploy: false',
          '  endpoint: https://s3.eu-west-1.amazonaws.com',
          '  region: eu-west-1',
          '  createBucket: false',
          '  auth: { existingSecret: s3-creds, accessKeyKey: AWS_ACCESS_KEY_ID, secretKeyKey: AWS_SECRET_ACCESS_KEY }',
          'otel: { endpoint: "http://otel-collector.observability:4318" }',
          '',
        ].join('\n'),
      );
      objects = render(['--name', 'prod', '-f', values]);
    });

    it('gives generation the CUDA image, GPU limits, the GPU pool node selector and tolerations', () => {
      const generation = named(objects, 'Deployment', 'prod-assay-generation');
      const c = container(generation);
      expect(c.image).toBe('registry.example.com/assay:0.1.0-cuda');
      expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
      expect(podSpec(generation).nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(generation.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
      expect(podSpec(generation).tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
      const env = Object.fromEntries((c.env as EnvVar[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ ASSAY_RUNTIME_EXECUTION_PROVIDERS: 'cuda,cpu', ASSAY_PRELOAD_MODELS: 'gpt2@1' });
      for (const name of Object.keys(env)) expect(KNOWN_ENV).toContain(name);

      const cpuOnly = assayDeployments(objects).filter((d) => d !== generation);
      expect(cpuOnly.map(componentOf).sort()).toEqual(['auditor', 'certifier', 'likelihood']);
      for (const d of cpuOnly) {
        expect(container(d).image).toBe('registry.example.com/assay:0.1.0');
        expect(container(d).resources.limits['nvidia.com/gpu']).toBeUndefined();
        expect(podSpec(d).tolerations).toBeUndefined();
        expect((container(d).env as EnvVar[]).map((e) => e.name)).not.toContain('ASSAY_RUNTIME_EXECUTION_PROVIDERS');
      }
    });

    it('deploys no NATS or MinIO, and reads their addresses and credentials from values and existing Secrets', () => {
      expect(ofKind(objects, 'StatefulSet')).toEqual([]);
      expect(ofKind(objects, 'Job')).toEqual([]);
      const config = configMap(objects, 'prod');
      expect(config).toMatchObject({
        NATS_URL: 'nats://nats.messaging.svc:4222',
        S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
        S3_REGION: 'eu-west-1',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      });
      for (const name of SECRET_NAMES) expect(config).not.toHaveProperty(name);
      const refs = Object.fromEntries((container(named(objects, 'Deployment', 'prod-assay-auditor')).env as EnvVar[]).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom!.secretKeyRef]));
      expect(refs).toEqual({
        ASSAY_API_KEYS: { name: 'prod-assay', key: 'ASSAY_API_KEYS' },
        ASSAY_SIGNING_KEY: { name: 'prod-assay', key: 'ASSAY_SIGNING_KEY' },
        S3_ACCESS_KEY: { name: 's3-creds', key: 'AWS_ACCESS_KEY_ID' },
        S3_SECRET_KEY: { name: 's3-creds', key: 'AWS_SECRET_ACCESS_KEY' },
        NATS_USER: { name: 'nats-creds', key: 'user' },
        NATS_PASSWORD: { name: 'nats-creds', key: 'password' },
      });
      expect(Object.keys(named(objects, 'Secret', 'prod-assay').data!)).toEqual(['ASSAY_API_KEYS', 'ASSAY_SIGNING_KEY']);
    });
  });

  it('documents only known variables in the commented examples of values.yaml', () => {
    const values = fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
    const documented = [...values.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(5);
    expect(documented.filter((name) => !KNOWN_ENV.has(name))).toEqual([]);
  });

  it('refuses a secret in plain config and an existing NATS without its URL', () => {
    expect(renderError(['--set', 'config.S3_SECRET_KEY=plain'])).toContain('S3_SECRET_KEY is a secret');
    expect(renderError(['--set', 'services.generation.env.NATS_TOKEN=plain'])).toContain('NATS_TOKEN is a secret');
    expect(renderError(['--set', 'nats.deploy=false'])).toContain('nats.url is required');
  });

  it('renders NOTES.txt with the API-key command and each service address', () => {
    // helm-render parses NOTES.txt but does not print it: render a copy where it is an ordinary template.
    const copy = path.join(tmp, 'chart');
    fs.cpSync(CHART, copy, { recursive: true });
    fs.renameSync(path.join(copy, 'templates/NOTES.txt'), path.join(copy, 'templates/zz-notes.yaml'));
    const text = execFileSync(HELM_RENDER, ['--name', 'rel', '--namespace', 'ml', copy], { encoding: 'utf8' });
    const notes = text.slice(text.indexOf('# Source: assay/templates/zz-notes.yaml'));
    expect(notes).toContain("kubectl -n ml get secret rel-assay -o jsonpath='{.data.ASSAY_API_KEYS}'");
    for (const service of SERVICES) expect(notes).toContain(`http://rel-assay-${service}.ml.svc:8080`);
  });
});
