import type { z } from 'zod/v4';
import type { RouteContract } from './contract';
import { ErrorEnvelopeSchema, ErrorCode, HTTP_STATUS_BY_CODE } from './errors';
import { JsonSchema, SchemaComponents } from './json-schema';
import { PORT_OFFSETS, ROUTE_CONTRACTS, SERVICE_CONTRACTS, SERVICES, ServiceName } from './registry';

export const API_VERSION = '0.2.0';
/** The local `assay up` default (ASSAY_PORT_BASE), used for the example server of each path. */
const LOCAL_PORT_BASE = 8100;

/** The error responses of every operation; `body`: only operations with a request body. */
const ERROR_RESPONSES: Array<{ name: string; status: number; code: ErrorCode; description: string; body?: true }> = [
  { name: 'BadRequest', status: 400, code: 'BAD_REQUEST', description: 'BAD_REQUEST: the request (body or path) does not match its schema, or names something unusable.' },
  { name: 'Unauthorized', status: 401, code: 'UNAUTHORIZED', description: 'UNAUTHORIZED: missing or invalid API key (x-api-key or Authorization: Bearer). Checked before the body is read.' },
  { name: 'NotFound', status: 404, code: 'NOT_FOUND', description: 'NOT_FOUND: an unknown model, object key or job.' },
  { name: 'PayloadTooLarge', status: 413, code: 'PAYLOAD_TOO_LARGE', description: 'PAYLOAD_TOO_LARGE: over ASSAY_MAX_HTTP_BODY; put large inputs in the object store and send keys.', body: true },
  {
    name: 'UnsupportedMediaType',
    status: 415,
    code: 'BAD_REQUEST',
    description: 'BAD_REQUEST (HTTP 415): the body is not JSON in UTF-8, or its Content-Encoding is not identity, gzip, deflate or br.',
    body: true,
  },
  { name: 'Internal', status: 500, code: 'INTERNAL', description: 'INTERNAL: a bug or an unexpected failure (details stay in the logs).' },
  { name: 'Unavailable', status: 503, code: 'UNAVAILABLE', description: 'UNAVAILABLE: a dependency (NATS, object store, another service) is down or busy; retry.' },
  { name: 'Timeout', status: 504, code: 'TIMEOUT', description: 'TIMEOUT: a downstream call did not answer in time.' },
];
// Each code has one HTTP status; 415 is the one more precise status a code (BAD_REQUEST) answers with.
for (const e of ERROR_RESPONSES) if (e.status !== 415 && HTTP_STATUS_BY_CODE[e.code] !== e.status) throw new Error(`openapi: ${e.code} is not HTTP ${e.status}`);


/** `{id}` names of a path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
}

/**
 * The OpenAPI 3.1 document of the platform (or of some services), derived from the registry's routes: one
 * operation per route with its operationId, path parameters, request body, success response and the error
 * envelope for 400/401/404/500/503/504 (and 413/415 with a body); every named zod schema is a reusable component.
 */
export function openApiDocument(services: readonly ServiceName[] = SERVICES) {
  const components = new SchemaComponents();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, route] of Object.entries(ROUTE_CONTRACTS) as Array<[string, RouteContract & { service: ServiceName }]>) {
    if (!services.includes(route.service)) continue;
    const item = (paths[route.path] ??= {
      servers: [{ url: `http://127.0.0.1:${LOCAL_PORT_BASE + PORT_OFFSETS[route.service]}`, description: `the ${route.service} service (local \`assay up\` default port)` }],
    });
    item[route.method] = operation(operationId, route, components);
  }
  const errorEnvelope = components.ref(ErrorEnvelopeSchema, 'output');
  const document = {
    openapi: '3.1.0',
    info: {
      title: services.length === SERVICES.length ? 'Assay platform' : `Assay ${services.join(', ')}`,
      version: API_VERSION,
      description:
        'HTTP API of the Assay services. Each service serves its own paths (see each path\'s server) and its OpenAPI at /docs. ' +
        'Errors are always the envelope {code, message, details}. NATS subjects and job queues: contracts/generated/nats-subjects.json.',
    },
    tags: services.map((name) => ({ name, description: SERVICE_CONTRACTS[name].description })),
    security: [{ apiKey: [] }],
    paths,
    components: {
      responses: Object.fromEntries(ERROR_RESPONSES.map((e) => [e.name, { description: e.description, content: { 'application/json': { schema: errorEnvelope } } }])),
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'One of ASSAY_API_KEYS (Authorization: Bearer <key> works too).' } },
    },
  };
  const resolved = components.resolve(document);
  return { ...resolved, components: { schemas: components.components(), ...resolved.components } };
}

function operation(operationId: string, route: RouteContract & { service: ServiceName }, components: SchemaComponents) {
  const names = pathParams(route.path);
  const declared = Object.keys(route.params ?? {});
  if (names.join() !== declared.join()) throw new Error(`route ${operationId}: path ${route.path} has parameters [${names}] but declares [${declared}]`);
  const parameters = names.map((name) => {
    const schema = components.ref((route.params as Record<string, z.ZodType>)[name], 'input');
    const { description, ...rest } = schema as JsonSchema & { description?: string };
    return { name, in: 'path', required: true, ...(description ? { description } : {}), schema: rest };
  });
  const status = String(route.status ?? 200);
  const produces = route.produces ?? ['application/json'];
  const content = Object.fromEntries(
    produces.map((type) => [type, { schema: type === 'application/json' || type === 'text/event-stream' ? (route.response ? components.ref(route.response, 'output') : {}) : { type: 'string' } }]),
  );
  const errors = ERROR_RESPONSES.filter((e) => !e.body || route.body);
  return {
    operationId,
    tags: [route.service],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: components.ref(route.body, 'input') } } } } : {}),
    responses: {
      [status]: { description: status === '202' ? 'Accepted: a durable job was queued.' : 'Success.', content },
      ...Object.fromEntries(errors.map((e) => [String(e.status), { $ref: `#/components/responses/${e.name}` }])),
    },
  };
}
