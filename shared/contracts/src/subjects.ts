/**
 * Every NATS subject Assay uses, in one place. Request/reply subjects are `assay.<service>.<verb>`
 * (each service subscribes in the queue group `assay.<service>`); facts are `assay.events.<...>`.
 */
export const SERVICES = ['generation', 'likelihood', 'guide-training', 'certifier', 'auditor'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const SUBJECTS = {
  generation: { generate: 'assay.generation.generate', health: 'assay.generation.health' },
  likelihood: { score: 'assay.likelihood.score', health: 'assay.likelihood.health' },
  guideTraining: { train: 'assay.guide-training.train', health: 'assay.guide-training.health' },
  certifier: {
    certify: 'assay.certifier.certify',
    evaluate: 'assay.certifier.evaluate',
    benchmark: 'assay.certifier.benchmark',
    health: 'assay.certifier.health',
  },
  auditor: { start: 'assay.auditor.start', get: 'assay.auditor.get', health: 'assay.auditor.health' },
  events: { runCompleted: 'assay.events.run.completed' },
} as const;

/** Durable job queues (JetStream), named `<service>.<verb>`. */
export const JOB_QUEUES = {
  guideTrain: 'guide-training.train',
  certifierEvaluate: 'certifier.evaluate',
  certifierBenchmark: 'certifier.benchmark',
  auditorAudit: 'auditor.audit',
} as const;

export function queueGroup(service: ServiceName): string {
  return `assay.${service}`;
}
