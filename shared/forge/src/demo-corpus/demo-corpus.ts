import { SeededRng } from '../train/rng';
import { COOKING, TRAVEL } from './general-cooking-travel';
import { HISTORY, SPORTS } from './general-sports-history';
import { TECHNOLOGY } from './general-technology';
import type { GeneralTopic } from './general-topic';
import { Grammar, SlotContext } from './grammar';
import type { Condition } from './health-condition';
import { CONDITIONS_A } from './health-conditions-a';
import { CONDITIONS_B } from './health-conditions-b';
import { CONDITIONS_C } from './health-conditions-c';
import { HEALTH_CLOSINGS, HEALTH_INTENTS, IntentTemplates } from './health-templates';

/**
 * The demo corpus: seeded, template-generated consumer-health answers (in-domain) and general-domain answers
 * about cooking, travel, sports, history and technology (out-of-domain), written by this project so that
 * `assay demo` needs no external data. Pure and deterministic: the same options give the same corpus.
 */
export interface DemoPair {
  prompt: string;
  response: string;
  /** "health" or the general topic's name. */
  topic: string;
}

export interface DemoCorpusOptions {
  seed?: number;
  /** Training answers per domain (defaults 500 and 600, about 130 KB per domain). */
  inDomainItems?: number;
  generalItems?: number;
  /** Held-out answers per domain, disjoint from the training answers (default 100). */
  heldOutItems?: number;
  /** Prompts per domain for generation demos (default 12). */
  promptItems?: number;
}

export interface DemoCorpus {
  /** In-domain training responses (answers only). */
  inDomain: string[];
  /** General-domain training responses. */
  general: string[];
  inDomainHeldOut: string[];
  outOfDomainHeldOut: string[];
  /** Questions not used for training, for generation demos. */
  prompts: { inDomain: string[]; outOfDomain: string[] };
  /** The training items with their questions, aligned with `inDomain` / `general`. */
  inDomainPairs: DemoPair[];
  generalPairs: DemoPair[];
  /** The held-out answers with their questions, aligned with `inDomainHeldOut` / `outOfDomainHeldOut`. */
  heldOutPairs: { inDomain: DemoPair[]; outOfDomain: DemoPair[] };
}

export const HEALTH_CONDITIONS: readonly Condition[] = [...CONDITIONS_A, ...CONDITIONS_B, ...CONDITIONS_C];
export const GENERAL_TOPICS: readonly GeneralTopic[] = [COOKING, TRAVEL, SPORTS, HISTORY, TECHNOLOGY];

function answer(g: Grammar, t: IntentTemplates, closings: readonly string[], ctx: SlotContext): string {
  const sentences = [g.expand(g.pick(t.openings), ctx)];
  for (const s of g.sample(t.body, g.between(1, 4))) sentences.push(g.expand(s, ctx));
  if (g.chance(0.4)) sentences.push(g.expand(g.pick(closings), ctx));
  return sentences.join(' ');
}

function healthContext(g: Grammar, c: Condition): SlotContext {
  const [drug, dose] = g.pick(c.meds).split(': ');
  return {
    name: c.name,
    system: c.system,
    specialist: c.specialist,
    a_specialist: `${/^[aeiou]/i.test(c.specialist) ? 'an' : 'a'} ${c.specialist}`,
    symptom: c.symptoms,
    cause: c.causes,
    risk: c.risks,
    test: c.tests,
    care: c.care,
    prevention: c.prevention,
    warning: c.warnings,
    drug,
    dose,
  };
}

const HEALTH_INTENT_LIST = Object.values(HEALTH_INTENTS);

export function healthPair(g: Grammar): DemoPair {
  const ctx = healthContext(g, g.pick(HEALTH_CONDITIONS));
  const t = g.pick(HEALTH_INTENT_LIST);
  return { prompt: g.expand(g.pick(t.questions), ctx), response: answer(g, t, HEALTH_CLOSINGS, ctx), topic: 'health' };
}

export function generalPair(g: Grammar): DemoPair {
  const topic = g.pick(GENERAL_TOPICS);
  const t = g.pick(topic.intents);
  const ctx: Record<string, string | string[]> = { ...topic.slots };
  for (const a of topic.anchors) ctx[a] = g.pick(topic.slots[a]);
  return { prompt: g.expand(g.pick(t.questions), ctx), response: answer(g, t, topic.closings, ctx), topic: topic.name };
}

/** `count` pairs whose responses are new (not in `seen`, which is updated); gives up after many duplicates. */
function distinctPairs(make: () => DemoPair, count: number, seen: Set<string>): DemoPair[] {
  const out: DemoPair[] = [];
  for (let attempts = 0; out.length < count && attempts < count * 20; attempts++) {
    const pair = make();
    if (seen.has(pair.response)) continue;
    seen.add(pair.response);
    out.push(pair);
  }
  return out;
}

/** Seeds of the independent streams: training, held-out and prompts never share random draws. */
const STREAMS = { train: 0x11, heldOut: 0x22, prompts: 0x33 } as const;
const grammarFor = (seed: number, stream: number, domain: number) => new Grammar(new SeededRng((Math.imul(seed + 1, 0x9e3779b1) ^ (stream * 0x85ebca6b) ^ domain) >>> 0));

export function demoCorpus(options: DemoCorpusOptions = {}): DemoCorpus {
  const { seed = 0, inDomainItems = 500, generalItems = 600, heldOutItems = 100, promptItems = 12 } = options;
  const healthSeen = new Set<string>();
  const generalSeen = new Set<string>();
  const g = (stream: number, domain: number) => grammarFor(seed, stream, domain);
  const hTrain = g(STREAMS.train, 1);
  const gTrain = g(STREAMS.train, 2);
  const inDomainPairs = distinctPairs(() => healthPair(hTrain), inDomainItems, healthSeen);
  const generalPairs = distinctPairs(() => generalPair(gTrain), generalItems, generalSeen);
  const hHeld = g(STREAMS.heldOut, 1);
  const gHeld = g(STREAMS.heldOut, 2);
  const heldOutPairs = {
    inDomain: distinctPairs(() => healthPair(hHeld), heldOutItems, healthSeen),
    outOfDomain: distinctPairs(() => generalPair(gHeld), heldOutItems, generalSeen),
  };
  const trainPrompts = new Set([...inDomainPairs, ...generalPairs].map((p) => p.prompt));
  const freshPrompts = (make: () => DemoPair): string[] => {
    const seen = new Set(trainPrompts);
    return distinctPairs(() => {
      const p = make();
      return { ...p, response: p.prompt };
    }, promptItems, seen).map((p) => p.prompt);
  };
  const hPrompt = g(STREAMS.prompts, 1);
  const gPrompt = g(STREAMS.prompts, 2);
  return {
    inDomain: inDomainPairs.map((p) => p.response),
    general: generalPairs.map((p) => p.response),
    inDomainHeldOut: heldOutPairs.inDomain.map((p) => p.response),
    outOfDomainHeldOut: heldOutPairs.outOfDomain.map((p) => p.response),
    prompts: { inDomain: freshPrompts(() => healthPair(hPrompt)), outOfDomain: freshPrompts(() => generalPair(gPrompt)) },
    inDomainPairs,
    generalPairs,
    heldOutPairs,
  };
}
