export { demoCorpus, healthPair, generalPair, HEALTH_CONDITIONS, GENERAL_TOPICS } from './demo-corpus';
export type { DemoCorpus, DemoCorpusOptions, DemoPair } from './demo-corpus';
export type { Condition } from './health-condition';
export type { GeneralTopic } from './general-topic';
