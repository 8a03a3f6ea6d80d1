import { FeedTensor, InferenceBackend, StoredTensor } from '../model-runner/model-runner';

/**
 * Serialises forward passes on one thread, first come first served. The continuous-batching decode loop
 * runs beside scoring and pooling passes; without this, two `session.run` calls could be in flight at once
 * and fight over the intra-op threads. With it, a scoring pass waits for at most one decoding step.
 */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();

  wrap(backend: InferenceBackend): InferenceBackend {
    return { run: (feeds: Record<string, FeedTensor>, fetches: string[]) => this.enqueue(() => backend.run(feeds, fetches)) };
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
