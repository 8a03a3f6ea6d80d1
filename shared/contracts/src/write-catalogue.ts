/**
 * `npm run contracts`: writes the committed catalogue of NATS subjects and their JSON Schemas, so contract
 * changes show up in review. A unit test fails when the committed file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { subjectCatalogueDocument } from './catalogue';

export const CATALOGUE_FILE = path.resolve(__dirname, '../generated/nats-subjects.json');

export function renderCatalogue(): string {
  return JSON.stringify(subjectCatalogueDocument(), null, 2) + '\n';
}

if (process.argv[1]?.endsWith('write-catalogue.ts')) {
  fs.writeFileSync(CATALOGUE_FILE, renderCatalogue());
  console.log(`wrote ${path.relative(process.cwd(), CATALOGUE_FILE)}`);
}
