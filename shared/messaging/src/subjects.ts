/** The namespace of the default platform: its subjects are the registry's as written, `assay.<service>.<verb>`. */
export const DEFAULT_NAMESPACE = 'assay';

const NAMESPACE = /^[a-z][a-z0-9_]*$/;

/**
 * The subject a request travels on for a platform namespace: the registry's `assay.<service>.<verb>` with its first
 * token replaced by the namespace (`team_a.generation.generate`). The one mapping every caller (RpcClient) and
 * every server (AssayNatsServer) applies, so two platforms with different namespaces on one NATS server never answer
 * each other. Job subjects use the same root (`<ns>.jobs.…`); service names never collide with `jobs`, `events`,
 * `dlq` or `control`.
 */
export function requestSubject(namespace: string | undefined, subject: string): string {
  const ns = namespace ?? DEFAULT_NAMESPACE;
  if (ns === DEFAULT_NAMESPACE) return subject;
  if (!NAMESPACE.test(ns)) throw new Error(`namespace must match [a-z][a-z0-9_]*, got "${ns}"`);
  const root = `${DEFAULT_NAMESPACE}.`;
  return subject.startsWith(root) ? `${ns}.${subject.slice(root.length)}` : `${ns}.${subject}`;
}

/** The registry subject a namespaced wire subject stands for (the inverse of requestSubject). */
export function registrySubject(namespace: string | undefined, wireSubject: string): string {
  const ns = namespace ?? DEFAULT_NAMESPACE;
  if (ns === DEFAULT_NAMESPACE || !wireSubject.startsWith(`${ns}.`)) return wireSubject;
  return `${DEFAULT_NAMESPACE}.${wireSubject.slice(ns.length + 1)}`;
}
