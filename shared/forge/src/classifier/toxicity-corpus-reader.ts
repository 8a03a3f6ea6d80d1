import { readFile } from 'fs/promises';
import * as path from 'path';
import { parseDavidsonCsv, parseHateCheckCsv, parseToxigenJsonl, ToxicityExample } from './toxicity-data';

/** Dataset files under the shared data directory (see each folder's README). */
export const TOXICITY_DATA_FILES = {
  davidson: 'davidson_hate_offensive/labeled_data.csv',
  hatecheck: 'hatecheck/test_suite_cases.csv',
  toxigen: 'toxigen_demonstrations/demonstrations.jsonl',
} as const;

export interface ToxicityCorpus {
  davidson: ToxicityExample[];
  hatecheck: ToxicityExample[];
  toxigen: ToxicityExample[];
}

/** Reads and parses the three licensed toxicity sets from `dataDir` (e.g. /work/shared/data). */
export async function readToxicityCorpus(dataDir: string): Promise<ToxicityCorpus> {
  const read = (rel: string): Promise<string> => readFile(path.join(dataDir, rel), 'utf8');
  const [davidson, hatecheck, toxigen] = await Promise.all([
    read(TOXICITY_DATA_FILES.davidson),
    read(TOXICITY_DATA_FILES.hatecheck),
    read(TOXICITY_DATA_FILES.toxigen),
  ]);
  return { davidson: parseDavidsonCsv(davidson), hatecheck: parseHateCheckCsv(hatecheck), toxigen: parseToxigenJsonl(toxigen) };
}

/** All examples of a corpus in one list (davidson, hatecheck, toxigen order). */
export function corpusExamples(corpus: ToxicityCorpus): ToxicityExample[] {
  return [...corpus.davidson, ...corpus.hatecheck, ...corpus.toxigen];
}
