import { Injectable } from '@nestjs/common';
import { AuditStartRequest } from '@assay/contracts';
import type { JobContext } from '@assay/messaging';
import { AuditCheckpoint, AuditLedger } from './audit-ledger';
import { AuditStore } from './audit-store';

/** Checkpoints above this size keep the test state in the object store instead (job checkpoints cap at ~800 KiB). */
export const INLINE_STATE_BYTES = 256 * 1024;

type CheckpointingJob = Pick<JobContext<unknown>, 'id' | 'checkpoint' | 'loadCheckpoint'>;

/**
 * The audit's checkpoints: `{nextIndex, testState, moments, ...}` in the job's checkpoint (JetStream KV), the test
 * state moved to the object store when it outgrows `inlineBytes` (the witness test keeps every past pair for
 * training). Each stored state has its own key and the previous one is deleted only after the new checkpoint
 * is saved, so a crash in between always leaves a checkpoint whose state exists.
 */
@Injectable()
export class AuditCheckpoints {
  private inlineBytes = INLINE_STATE_BYTES;

  constructor(private readonly store: AuditStore) {}

  /** For tests of the object-store path. */
  withInlineLimit(bytes: number): this {
    this.inlineBytes = bytes;
    return this;
  }

  /** The ledger to continue with: restored from the last checkpoint of any earlier delivery, or a fresh one. */
  async restore(job: CheckpointingJob, request: Pick<AuditStartRequest, 'test' | 'alpha' | 'epsilon'>): Promise<{ ledger: AuditLedger; stateKey?: string; resumed: boolean }> {
    const checkpoint = await job.loadCheckpoint<AuditCheckpoint>();
    if (!checkpoint) return { ledger: AuditLedger.start(request), resumed: false };
    const state = checkpoint.testState ?? (await this.store.getTestState(checkpoint.testStateKey!));
    return { ledger: AuditLedger.resume(checkpoint, state), stateKey: checkpoint.testStateKey, resumed: true };
  }

  /** Saves the ledger; returns the object key now holding the test state (undefined when inline). */
  async save(job: CheckpointingJob, ledger: AuditLedger, previousKey: string | undefined): Promise<string | undefined> {
    const checkpoint = ledger.checkpoint();
    if (JSON.stringify(checkpoint).length > this.inlineBytes) {
      checkpoint.testStateKey = await this.store.putTestState(job.id, checkpoint.nextIndex, checkpoint.testState!);
      delete checkpoint.testState;
    }
    await job.checkpoint(checkpoint);
    if (previousKey && previousKey !== checkpoint.testStateKey) await this.store.deleteObject(previousKey);
    return checkpoint.testStateKey;
  }

  /** After the final report: the stored state is no longer needed (the job's own checkpoint is removed by the worker). */
  async discard(stateKey: string | undefined): Promise<void> {
    if (stateKey) await this.store.deleteObject(stateKey);
  }
}
