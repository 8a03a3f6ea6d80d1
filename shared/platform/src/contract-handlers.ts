import { applyDecorators, ArgumentMetadata, Get, Header, HttpCode, PipeTransform, Post, SetMetadata, UsePipes } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { z } from 'zod/v4';
import {
  AssayError,
  OperationId,
  parseOrThrow,
  routeContract,
  RouteContract,
  Subject,
  subjectContract,
  SubjectReply,
  SubjectRequestParsed,
} from '@assay/contracts';
import { MalformedMessage } from './nats-deserializer';

/** Metadata keys the boot-time coverage check reads (see ContractCoverageService). */
export const SUBJECT_HANDLER = 'assay:subject';
export const ROUTE_OPERATION = 'assay:operation';


/** Validates an RPC payload against its subject's request schema (defaults applied, unknown keys stripped). */
class SubjectRequestPipe implements PipeTransform {
  constructor(private readonly subject: Subject) {}

  transform(value: unknown, metadata: ArgumentMetadata) {
    // Nest names the RPC payload 'body' (RpcParamtype.PAYLOAD = RouteParamtypes.BODY); @Ctx() arguments are left alone.
    if (metadata.type !== 'body') return value;
    if (value instanceof MalformedMessage) throw new AssayError(value.code, value.reason);
    return parseOrThrow(subjectContract(this.subject).request, value, 'request');
  }
}

/** Validates an HTTP route's body and path parameters against the route's schemas. */
class RouteRequestPipe implements PipeTransform {
  constructor(private readonly route: RouteContract) {}

  transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'body' && this.route.body) return parseOrThrow(this.route.body, value, 'request');
    if (metadata.type === 'param' && this.route.params) {
      if (metadata.data) {
        const schema = this.route.params[metadata.data];
        return schema ? parseOrThrow(schema, value, `path parameter ${metadata.data}`) : value;
      }
      return parseOrThrow(z.object(this.route.params), value, 'path parameters');
    }
    return value;
  }
}

/**
 * The NATS handler of a registered subject: `@MessagePattern(subject)` with the payload validated by the subject's
 * request schema. Typed by the registry: the method takes the parsed request and returns the reply of that
 * subject, or it does not compile.
 */
export function AnswersSubject<S extends Subject>(subject: S) {
  const decorate = applyDecorators(MessagePattern(subject), SetMetadata(SUBJECT_HANDLER, subject), UsePipes(new SubjectRequestPipe(subject)));
  return <T extends (request: SubjectRequestParsed<S>, ...context: never[]) => Promise<SubjectReply<S>> | SubjectReply<S>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    decorate(target, key, descriptor);
  };
}

const CONTENT_TYPE: Partial<Record<string, string>> = { 'image/svg+xml': 'image/svg+xml', 'text/html': 'text/html; charset=utf-8' };

/**
 * An HTTP route of the registry, by its operationId: method, path and success status come from the registry, the body
 * and path parameters are validated by the route's schemas, and the OpenAPI document describes the same route.
 */
export function ServesRoute<O extends OperationId>(operationId: O) {
  const route = routeContract(operationId);
  const path = route.path.replace(/\{(\w+)\}/g, ':$1');
  const produces = route.produces ?? ['application/json'];
  const contentType = produces.length === 1 ? CONTENT_TYPE[produces[0]] : undefined;
  return applyDecorators(
    route.method === 'get' ? Get(path) : Post(path),
    HttpCode(route.status ?? 200),
    SetMetadata(ROUTE_OPERATION, operationId),
    UsePipes(new RouteRequestPipe(route)),
    ...(contentType ? [Header('Content-Type', contentType)] : []),
  );
}
