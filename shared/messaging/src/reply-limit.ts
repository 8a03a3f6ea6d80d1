import { isSubject, ROUTE_CONTRACTS, subjectContract, type RouteContract } from '@assay/contracts';
import { AssayError } from './errors';

/**
 * The HTTP route that takes the same request as a subject (same schema) and answers JSON: there the reply has no
 * size limit, so it is the way to get a result too large for NATS. Undefined when the subject has no such twin.
 */
export function httpTwinOf(subject: string): string | undefined {
  if (!isSubject(subject)) return undefined;
  const request = subjectContract(subject).request;
  const twin = Object.values(ROUTE_CONTRACTS as Record<string, RouteContract>).find(
    (route) => route.body === request && (route.produces ?? ['application/json']).includes('application/json'),
  );
  return twin ? `${twin.method.toUpperCase()} ${twin.path}` : undefined;
}

/**
 * PAYLOAD_TOO_LARGE for a reply that NATS cannot carry (over the server's max_payload), saying how to get the data:
 * ask for less per request, or use the subject's HTTP route, or (for results that are large by nature) keep them in
 * the object store and pass keys. Replies are never split or spilled: the caller decides how to ask again.
 */
export function replyTooLarge(subject: string, size: number, limit: number): AssayError {
  const http = httpTwinOf(subject);
  const ways = [
    'ask for less per request (a smaller batch, shorter outputs, fewer optional fields such as hidden states)',
    http ? `send the same request to ${http} over HTTP, where replies have no size limit` : undefined,
    'or keep results this large in the object store and pass their keys',
  ].filter(Boolean);
  return AssayError.tooLarge(`the reply to ${subject} is ${size} bytes, over the NATS limit of ${limit} bytes (max_payload), so it was not sent: ${ways.join('; ')}`, {
    subject,
    size,
    limit,
    ...(http ? { http } : {}),
  });
}
