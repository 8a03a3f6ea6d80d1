import { list } from './grammar';

/** One condition's facts, as slot values for the health templates. */
export interface Condition {
  name: string;
  /** The affected part of the body, e.g. "the lungs and airways". */
  system: string;
  symptoms: string[];
  causes: string[];
  risks: string[];
  tests: string[];
  care: string[];
  /** "drug: adult dose" pairs; doses are the usual label ranges for adults. */
  meds: string[];
  prevention: string[];
  specialist: string;
  warnings: string[];
}

export function condition(fields: Record<keyof Condition, string>): Condition {
  return {
    name: fields.name,
    system: fields.system,
    specialist: fields.specialist,
    symptoms: list(fields.symptoms),
    causes: list(fields.causes),
    risks: list(fields.risks),
    tests: list(fields.tests),
    care: list(fields.care),
    meds: list(fields.meds),
    prevention: list(fields.prevention),
    warnings: list(fields.warnings),
  };
}

