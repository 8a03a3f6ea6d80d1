import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiSecurity, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { ErrorEnvelopeSchema, toJsonSchema } from '@assay/contracts';

const ERROR_SCHEMA = toJsonSchema(ErrorEnvelopeSchema, 'output');

/**
 * Documents a route from the same zod schemas that validate it, so the OpenAPI at /docs cannot drift
 * from what the service accepts.
 */
export function ApiContract(options: { summary: string; body?: z.ZodType; response?: z.ZodType; status?: number }) {
  const decorators = [
    ApiOperation({ summary: options.summary }),
    ApiSecurity('api-key'),
    ApiResponse({ status: 400, description: 'BAD_REQUEST', schema: ERROR_SCHEMA as object }),
    ApiResponse({ status: 404, description: 'NOT_FOUND', schema: ERROR_SCHEMA as object }),
    ApiResponse({ status: 413, description: 'PAYLOAD_TOO_LARGE', schema: ERROR_SCHEMA as object }),
    ApiResponse({ status: 503, description: 'UNAVAILABLE', schema: ERROR_SCHEMA as object }),
  ];
  if (options.body) decorators.push(ApiBody({ schema: toJsonSchema(options.body, 'input') as object }));
  if (options.response) {
    const schema = toJsonSchema(options.response, 'output') as object;
    decorators.push(options.status ? ApiResponse({ status: options.status, schema }) : ApiOkResponse({ schema }));
  }
  return applyDecorators(...decorators);
}

export function buildOpenApiDocument(app: INestApplication, service: string) {
  const config = new DocumentBuilder()
    .setTitle(`Assay ${service}`)
    .setDescription(`HTTP API of the Assay ${service} service. Errors are always {code, message, details}. NATS subjects: see contracts/nats-subjects.json.`)
    .setVersion('0.1.0')
    .setOpenAPIVersion('3.1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function setupOpenApi(app: INestApplication, service: string) {
  const document = buildOpenApiDocument(app, service);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return document;
}
