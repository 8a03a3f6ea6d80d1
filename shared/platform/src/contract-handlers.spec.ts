import 'reflect-metadata';
import { PIPES_METADATA } from '@nestjs/common/constants';
import { AssayError, AuditStartRequest, CertifyEvalRequest, CertifyEvalResult, CertifyRequest, CertifyResponse, JobAccepted, ScoreRequest } from '@assay/contracts';
import type { JobContext } from '@assay/messaging';
import { AnswersSubject, ROUTE_OPERATION, ServesRoute, SUBJECT_HANDLER } from './contract-handlers';
import { HandlesJob } from './job-host.module';

// Compile-time checks (run by `npm run typecheck`): handlers are typed by the registry.
export class TypedHandlers {
  @AnswersSubject('assay.certifier.certify')
  certify(request: CertifyRequest): Promise<CertifyResponse> {
    return Promise.resolve({ status: 'abstained', text: request.prompt ?? '', attempts: [], model: request.model, guide: request.guide });
  }

  // @ts-expect-error the reply of assay.certifier.evaluate is JobAccepted, not a certificate
  @AnswersSubject('assay.certifier.evaluate')
  evaluateWrongReply(_request: CertifyEvalRequest): Promise<CertifyResponse> {
    return Promise.reject(new Error('never'));
  }

  // @ts-expect-error the request of assay.likelihood.score is a ScoreRequest
  @AnswersSubject('assay.likelihood.score')
  scoreWrongRequest(_request: AuditStartRequest): Promise<JobAccepted> {
    return Promise.reject(new Error('never'));
  }

  @HandlesJob('certifier.evaluate')
  evaluation(job: JobContext<CertifyEvalRequest>): Promise<CertifyEvalResult> {
    return Promise.reject(new Error(job.payload.model));
  }

  // @ts-expect-error the payload of certifier.evaluate is not an audit request
  @HandlesJob('certifier.evaluate')
  evaluationWrongPayload(_job: JobContext<AuditStartRequest>): Promise<CertifyEvalResult> {
    return Promise.reject(new Error('never'));
  }

  // @ts-expect-error the result of auditor.audit is an AuditResult
  @HandlesJob('auditor.audit')
  auditWrongResult(_job: JobContext<AuditStartRequest>): Promise<{ decision: number }> {
    return Promise.reject(new Error('never'));
  }

  // @ts-expect-error no such queue
  @HandlesJob('auditor.nope')
  unknownQueue(_job: JobContext<unknown>): Promise<unknown> {
    return Promise.reject(new Error('never'));
  }
}

class Routes {
  @ServesRoute('getAudit')
  get(_id: string) {
    return undefined;
  }

  @AnswersSubject('assay.likelihood.score')
  score(_request: ScoreRequest): Promise<never> {
    return Promise.reject(new Error('never'));
  }
}

type Pipe = { transform(value: unknown, metadata: { type: string; data?: string }): unknown };
const pipeOf = (method: object): Pipe => (Reflect.getMetadata(PIPES_METADATA, method) as Pipe[])[0];

describe('@AnswersSubject and @ServesRoute', () => {
  it('record the subject and the operationId for the boot-time coverage check, with the registry route', () => {
    expect(Reflect.getMetadata(SUBJECT_HANDLER, Routes.prototype.score)).toBe('assay.likelihood.score');
    expect(Reflect.getMetadata(ROUTE_OPERATION, Routes.prototype.get)).toBe('getAudit');
    expect(Reflect.getMetadata('path', Routes.prototype.get)).toBe('/v1/audits/:id');
  });

  it('validate an RPC payload by the subject schema (defaults applied) and leave @Ctx() alone', () => {
    const pipe = pipeOf(Routes.prototype.score);
    expect(pipe.transform({ model: 'm', items: [{ continuation: ' x' }] }, { type: 'body' })).toEqual({ model: 'm', items: [{ context: '', continuation: ' x' }] });
    const context = { subject: 'assay.likelihood.score' };
    expect(pipe.transform(context, { type: 'custom' })).toBe(context);
    expect(() => pipe.transform({ model: 'm', items: [] }, { type: 'body' })).toThrow(AssayError);
  });

  it('validate HTTP path parameters by the route schema', () => {
    const pipe = pipeOf(Routes.prototype.get);
    expect(pipe.transform('abc', { type: 'param', data: 'id' })).toBe('abc');
    expect(() => pipe.transform('', { type: 'param', data: 'id' })).toThrow(/path parameter id/);
  });
});
