import { readFileSync } from 'fs';
import * as path from 'path';
import { DomainExample, holdOut, spread } from '@assay/forge';

/**
 * The acceptance data for VALID on a medical domain, read from ../shared/data (never copied into the repo):
 * - in-domain: MedQuAD consumer-health answers (with their questions);
 * - general text for L: Wikitext-2 articles and TinyShakespeare;
 * - out-of-domain test: held-out Wikitext-2 paragraphs, held-out TinyShakespeare passages, and TruthfulQA best
 *   answers (with their questions; the Health and Nutrition categories are left out as they are in-domain).
 * Splits are seeded and by whole document where documents exist (Wikitext articles, MedQuAD pairs).
 */
export const DATA_DIR = path.resolve(__dirname, '../../../shared/data');

export interface MedicalAcceptanceData {
  /** L and G training: in-domain pairs (G sees only the responses). */
  medicalTrain: DomainExample[];
  /** L training: general text. */
  generalTrain: string[];
  /** Test sets (responses, with prompts where the source has them). */
  inDomainTest: DomainExample[];
  outOfDomainTest: { source: string; items: DomainExample[] }[];
}

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Undoes Wikitext's tokenisation artifacts (" @-@ ", " , ", " 's") so its text reads like ordinary prose. */
export function detokenizeWikitext(line: string): string {
  return normalizeWhitespace(
    line
      .replace(/ @(.)@ /g, '$1')
      .replace(/ ([.,;:!?)\]}])/g, '$1')
      .replace(/([([{]) /g, '$1')
      .replace(/ ('s|'re|'ve|'d|'ll|n't|'m)\b/g, '$1')
      .replace(/" ([^"]*?) "/g, '"$1"'),
  );
}

/** Wikitext-2 test split as articles (top-level `= Title =` headings), each a list of paragraphs. */
export function readWikitextArticles(dataDir = DATA_DIR): string[][] {
  const articles: string[][] = [];
  for (const raw of readFileSync(path.join(dataDir, 'wikitext2/test.txt'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (/^= [^=].*[^=] =$/.test(line)) articles.push([]);
    else if (line.length > 0 && !line.startsWith('=') && articles.length > 0) articles[articles.length - 1].push(detokenizeWikitext(line));
  }
  return articles.filter((a) => a.length > 0);
}

/** TinyShakespeare as passages: consecutive speeches joined until a passage has at least `minChars`. */
export function readShakespearePassages(dataDir = DATA_DIR, minChars = 300): string[] {
  const speeches = readFileSync(path.join(dataDir, 'tinyshakespeare/input.txt'), 'utf8').split(/\n\s*\n/);
  const passages: string[] = [];
  let current = '';
  for (const speech of speeches) {
    current = current ? `${current}\n\n${speech.trim()}` : speech.trim();
    if (current.length >= minChars) {
      passages.push(current);
      current = '';
    }
  }
  if (current) passages.push(current);
  return passages;
}

export function readMedquad(dataDir = DATA_DIR): { prompt: string; response: string }[] {
  return readFileSync(path.join(dataDir, 'medquad/medquad_subset.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { question: string; answer: string })
    .map((r) => ({ prompt: normalizeWhitespace(r.question), response: normalizeWhitespace(r.answer) }))
    .filter((r) => r.response.length > 0);
}

export function readTruthfulqa(dataDir = DATA_DIR): { prompt: string; response: string }[] {
  return readFileSync(path.join(dataDir, 'truthfulqa/truthfulqa_en.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { question: string; best_answer: string; category: string })
    .filter((r) => r.category !== 'Health' && r.category !== 'Nutrition')
    .map((r) => ({ prompt: r.question, response: /[.!?]$/.test(r.best_answer) ? r.best_answer : `${r.best_answer}.` }));
}

export interface MedicalDataOptions {
  seed?: number;
  /** Test items per set: in-domain, and per OOD source (default 300 and 100). */
  inDomainTest?: number;
  oodPerSource?: number;
  /** Cap on general training characters per source (Wikitext, Shakespeare); default 700k. */
  generalCharsPerSource?: number;
  dataDir?: string;
}

export function loadMedicalAcceptanceData(options: MedicalDataOptions = {}): MedicalAcceptanceData {
  const { seed = 7, inDomainTest = 300, oodPerSource = 100, generalCharsPerSource = 700_000, dataDir = DATA_DIR } = options;
  const medquad = holdOut(readMedquad(dataDir), inDomainTest, seed);
  const wiki = holdOut(readWikitextArticles(dataDir), 0.2, seed + 1);
  const shakespeare = readShakespearePassages(dataDir);
  // Shakespeare is one long text: hold out its last 10% contiguously so no passage straddles the split.
  const cut = Math.floor(shakespeare.length * 0.9);
  const capChars = (texts: string[]) => {
    const out: string[] = [];
    let n = 0;
    for (const t of texts) if ((n += t.length) <= generalCharsPerSource) out.push(t);
    return out;
  };
  return {
    medicalTrain: medquad.train,
    generalTrain: [...capChars(wiki.train.map((a) => a.join('\n'))), ...capChars(shakespeare.slice(0, cut))],
    inDomainTest: medquad.heldOut,
    outOfDomainTest: [
      { source: 'wikitext2', items: spread(wiki.heldOut.flat().filter((p) => p.length >= 200), oodPerSource) },
      { source: 'tinyshakespeare', items: spread(shakespeare.slice(cut), oodPerSource) },
      { source: 'truthfulqa', items: spread(readTruthfulqa(dataDir), oodPerSource) },
    ],
  };
}
