import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPENAPI_FILE } from '../src/write-generated';

const ROOT = path.resolve(__dirname, '../../..');
const committed = () => JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as Record<string, any>;

/** swagger-parser's dependencies are ES modules, which jest's CommonJS runtime cannot load: it runs in plain node. */
function validate(document: object): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'assay-openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document));
  const script = `require('@apidevtools/swagger-parser').validate(process.argv[1]).then(() => console.log('valid'), (e) => console.log('invalid: ' + e.message))`;
  try {
    return execFileSync(process.execPath, ['-e', script, file], { cwd: ROOT, encoding: 'utf8' }).trim();
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * The committed platform OpenAPI is what client generators get: a maintained validator accepts it (3.1 schema, every
 * $ref resolves), and openapi-typescript turns it into types that compile and describe the real requests.
 */
describe('the committed OpenAPI document (shared/contracts/generated/openapi.json)', () => {
  it('validates with @apidevtools/swagger-parser, and the validator does catch a broken reference', () => {
    expect(validate(committed())).toBe('valid');
    const broken = committed();
    broken.paths['/v1/audits/{id}'].get.responses['200'].content['application/json'].schema = { $ref: '#/$defs/AuditReport' };
    expect(validate(broken)).toMatch(/^invalid: .*(AuditReport|\$defs|resolve)/i);
  }, 60_000);

  it('declares every path parameter, documents the error envelope and has chosen operationIds', () => {
    const document = committed();
    for (const [route, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const method of ['get', 'post'].filter((m) => item[m])) {
        const op = item[method];
        const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect((op.parameters ?? []).map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(names.map((n) => `path:${n}`));
        for (const status of ['400', '401', '500', '504']) expect(op.responses[status]).toBeDefined();
        if (op.requestBody) expect(op.responses['413']).toEqual({ $ref: '#/components/responses/PayloadTooLarge' });
        expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.operationId).not.toMatch(/Controller/);
      }
    }
    expect(document.components.responses.Internal.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
    expect(JSON.stringify(document)).not.toContain('#/$defs/');
  });

  it('generates a TypeScript client with openapi-typescript that type-checks against real requests', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-openapi-client-'));
    try {
      const bin = path.join(ROOT, 'node_modules', '.bin');
      execFileSync(path.join(bin, 'openapi-typescript'), [OPENAPI_FILE, '--default-non-nullable', 'false', '-o', path.join(dir, 'assay-api.d.ts')], { stdio: 'pipe' });
      fs.writeFileSync(
        path.join(dir, 'client.ts'),
        `import type { components, operations, paths } from './assay-api';
type Body<P extends keyof paths, M extends 'post'> = paths[P][M] extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;
export const certify: Body<'/v1/certify', 'post'> = { model: 'med-l', guide: 'med-g', prompt: 'fever?', k: 0.5 };
export const score: operations['score']['requestBody']['content']['application/json'] = { model: 'm', items: [{ continuation: ' yes' }] };
export function accepted(r: components['schemas']['CertifyResponse']): boolean { return r.status === 'accepted' && (r.certificate?.log2Epsilon ?? 0) < 0; }
export function envelope(e: components['schemas']['ErrorEnvelope']): string { return e.code + e.message; }
export type Status = operations['getEvaluation']['responses']['200']['content']['application/json']['result'];
export const auditId: operations['getAudit']['parameters']['path']['id'] = 'abc';
// @ts-expect-error k is required by CertifyRequest
export const bad: Body<'/v1/certify', 'post'> = { model: 'm', guide: 'g', prompt: 'p' };
`,
      );
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const output = (() => {
        try {
          return execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs', path.join(dir, 'client.ts')], { encoding: 'utf8' });
        } catch (error) {
          return String((error as { stdout?: string }).stdout ?? error);
        }
      })();
      expect(output).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
