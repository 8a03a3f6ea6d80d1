import { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument, ServiceName } from '@assay/contracts';

/**
 * Serves the service's OpenAPI at /docs (JSON at /docs/openapi.json): the service's part of the platform document,
 * derived from the contract registry like the committed shared/contracts/generated/openapi.json, so it describes
 * exactly the routes @ServesRoute serves (boot checks that) with the schemas that validate them.
 */
export function setupOpenApi(app: INestApplication, service: ServiceName) {
  const document = openApiDocument([service]);
  SwaggerModule.setup('docs', app, document as never, { jsonDocumentUrl: 'docs/openapi.json' });
  return document;
}
