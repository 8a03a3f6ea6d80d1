/**
 * `npm run contracts`: writes the committed documents derived from the registry, so contract changes show up in
 * review: the NATS catalogue (generated/nats-subjects.json) and the platform's OpenAPI (generated/openapi.json).
 * Unit tests fail when a committed file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { subjectCatalogueDocument } from './catalogue';
import { openApiDocument } from './openapi';

const GENERATED = path.resolve(__dirname, '../generated');
export const CATALOGUE_FILE = path.join(GENERATED, 'nats-subjects.json');
export const OPENAPI_FILE = path.join(GENERATED, 'openapi.json');

export function renderCatalogue(): string {
  return JSON.stringify(subjectCatalogueDocument(), null, 2) + '\n';
}

export function renderOpenApi(): string {
  return JSON.stringify(openApiDocument(), null, 2) + '\n';
}

if (require.main === module || process.argv[1]?.endsWith('write-generated.ts')) {
  fs.mkdirSync(GENERATED, { recursive: true });
  fs.writeFileSync(CATALOGUE_FILE, renderCatalogue());
  fs.writeFileSync(OPENAPI_FILE, renderOpenApi());
  for (const file of [CATALOGUE_FILE, OPENAPI_FILE]) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
