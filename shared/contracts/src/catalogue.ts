import { ErrorEnvelopeSchema } from './errors';
import { SchemaComponents } from './json-schema';
import { QUEUE_CONTRACTS, SUBJECT_CONTRACTS } from './registry';

/**
 * The committed catalogue of NATS subjects and durable job queues (shared/contracts/generated/nats-subjects.json),
 * derived from the registry: each subject with its request and reply schemas, each queue with its payload and
 * result, the shared schemas once under `components.schemas`.
 */
export function subjectCatalogueDocument() {
  const components = new SchemaComponents();
  const document = {
    description:
      'Assay NATS subjects (request/reply; Nest wire format {pattern, data, id} or a bare JSON body) and durable job queues ' +
      '(JetStream, submitted through the jobs client). Errors always reply with ErrorEnvelope. $refs point into components.schemas.',
    errorEnvelope: components.ref(ErrorEnvelopeSchema, 'output'),
    subjects: Object.entries(SUBJECT_CONTRACTS).map(([subject, contract]) => ({
      subject,
      summary: contract.summary,
      request: components.ref(contract.request, 'input'),
      reply: components.ref(contract.reply, 'output'),
    })),
    queues: Object.entries(QUEUE_CONTRACTS).map(([queue, contract]) => ({
      queue,
      summary: contract.summary,
      payload: components.ref(contract.payload, 'input'),
      result: components.ref(contract.result, 'output'),
    })),
  };
  return { ...components.resolve(document), components: { schemas: components.components() } };
}
