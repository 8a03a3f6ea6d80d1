import { list } from './grammar';
import type { IntentTemplates } from './health-templates';

/** A general-domain topic: slot lists shared by its templates, its intents, and closing sentences. */
export interface GeneralTopic {
  name: string;
  slots: Record<string, string[]>;
  /** Slots fixed once per item (the dish, the city...), so a question and its answer talk about the same thing. */
  anchors: string[];
  intents: IntentTemplates[];
  closings: string[];
}

/** Builds a topic from compact `a|b|c` slot lists. */
export function topic(name: string, anchors: string[], slots: Record<string, string>, intents: IntentTemplates[], closings: string[]): GeneralTopic {
  const expanded: Record<string, string[]> = {};
  for (const [key, compact] of Object.entries(slots)) expanded[key] = list(compact);
  for (const a of anchors) if (!(a in expanded)) throw new Error(`topic ${name}: anchor ${a} is not a slot`);
  return { name, slots: expanded, anchors, intents, closings };
}
