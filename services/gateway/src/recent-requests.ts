import { Injectable } from '@nestjs/common';
import { AssayBlock } from '@assay/contracts';

/** One answered request, as the console lists it. */
export interface RecentRequest {
  id: string;
  at: string;
  model: string;
  kind: 'chat' | 'completion';
  prompt: string;
  choices: Array<{ text: string; finishReason: string; assay: AssayBlock }>;
  latencyMs: number;
}

const KEEP = 200;

/**
 * The last requests this gateway replica answered (newest first), for the console. Held in memory on purpose: a
 * replica's recent traffic, not an audit log (traces and logs are the durable record; each entry names its trace).
 */
@Injectable()
export class RecentRequests {
  private readonly entries: RecentRequest[] = [];

  add(entry: RecentRequest): void {
    this.entries.unshift(entry);
    if (this.entries.length > KEEP) this.entries.length = KEEP;
  }

  list(limit = 50): RecentRequest[] {
    return this.entries.slice(0, limit);
  }

  get(id: string): RecentRequest | undefined {
    return this.entries.find((e) => e.id === id);
  }
}
