import { z } from 'zod/v4';
import { AuditGetRequestSchema, AuditReportSchema, AuditStartRequestSchema } from './auditor';
import { CertifyBenchRequestSchema, CertifyEvalRequestSchema, CertifyRequestSchema, CertifyResponseSchema } from './certifier';
import { JobAcceptedSchema } from './common';
import { ErrorEnvelopeSchema } from './errors';
import { GenerateRequestSchema, GenerateResponseSchema } from './generation';
import { GuideTrainRequestSchema } from './guide-training';
import { ScoreRequestSchema, ScoreResponseSchema } from './likelihood';
import { SUBJECTS } from './subjects';

/** One row per NATS request/reply subject: what goes in, what comes back. Errors are always the envelope. */
export const SUBJECT_CATALOGUE: Array<{ subject: string; request: z.ZodType; reply: z.ZodType; summary: string }> = [
  { subject: SUBJECTS.generation.generate, request: GenerateRequestSchema, reply: GenerateResponseSchema, summary: 'Sample continuations' },
  { subject: SUBJECTS.likelihood.score, request: ScoreRequestSchema, reply: ScoreResponseSchema, summary: 'Score continuations' },
  { subject: SUBJECTS.guideTraining.train, request: GuideTrainRequestSchema, reply: JobAcceptedSchema, summary: 'Queue guide training' },
  { subject: SUBJECTS.certifier.certify, request: CertifyRequestSchema, reply: CertifyResponseSchema, summary: 'Certified answer (VALID)' },
  { subject: SUBJECTS.certifier.evaluate, request: CertifyEvalRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a certification evaluation' },
  { subject: SUBJECTS.certifier.benchmark, request: CertifyBenchRequestSchema, reply: JobAcceptedSchema, summary: 'Queue certified benchmarking on multiple choice' },
  { subject: SUBJECTS.auditor.start, request: AuditStartRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a behaviour-shift audit' },
  { subject: SUBJECTS.auditor.get, request: AuditGetRequestSchema, reply: AuditReportSchema, summary: 'Audit decision and evidence' },
];

/** JSON Schema of a zod schema, for OpenAPI components and the committed subject catalogue. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export function subjectCatalogueDocument() {
  return {
    description: 'Assay NATS subjects (request/reply in Nest wire format). Errors reply with ErrorEnvelope.',
    errorEnvelope: toJsonSchema(ErrorEnvelopeSchema, 'output'),
    subjects: SUBJECT_CATALOGUE.map((row) => ({
      subject: row.subject,
      summary: row.summary,
      request: toJsonSchema(row.request, 'input'),
      reply: toJsonSchema(row.reply, 'output'),
    })),
  };
}
