import { Injectable } from '@nestjs/common';
import { AssayError, DatasetRequest, DatasetResult } from '@assay/contracts';
import { MethodScorer } from './method-scorer.service';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob, ModelHostService } from '@assay/platform';
import { Rng } from '@assay/stats';
import { DatasetStore, LabelledRow, Split } from './dataset.store';
import { contextText, goldTarget, gradeAnswer, kshotPrefix, QaItem, questionText, sanitizeAnswer } from './qa-format';
import { gradedKnowledgeSet, parseUserJsonl, QaSet, readBuiltinSet } from './qa-sources';

const SPLITS: Split[] = ['train', 'val', 'test'];
/** Questions per generate request (and per checkpointed batch). */
const BATCH = 16;

type PlannedItem = QaItem & { index: number; split: Split; prompt: string; question: string; gold: string };

/**
 * Split of each sampled item: the source's own (graded knowledge: by fact) or a seeded permutation cut by the
 * shares, so the same seed gives the same splits.
 */
export function assignSplits<T extends { split?: Split }>(items: readonly T[], shares: Record<Split, number>, seed: number): Split[] {
  if (items.every((i) => i.split !== undefined)) return items.map((i) => i.split!);
  const order = items.map((_, i) => i);
  new Rng(`${seed}:splits`).shuffle(order);
  const nTrain = Math.round(shares.train * items.length);
  const nVal = Math.round(shares.val * items.length);
  const out = new Array<Split>(items.length);
  order.forEach((item, rank) => (out[item] = rank < nTrain ? 'train' : rank < nTrain + nVal ? 'val' : 'test'));
  return out;
}

/** A seeded sample of at most n items, kept in source order. */
export function sampleItems<T>(items: readonly T[], n: number, seed: number): T[] {
  if (items.length <= n) return [...items];
  const order = items.map((_, i) => i);
  new Rng(`${seed}:sample`).shuffle(order);
  return order.slice(0, n).sort((a, b) => a - b).map((i) => items[i]);
}

/**
 * The labelled-dataset job (issue 10 §2): L answers each question greedily after its k-shot prompt (§1.1, §1.2),
 * the sanitised answer is graded (§1.3) and the rows go to `calibration-datasets/<id>/` with a manifest. Answers are
 * generated in checkpointed batches (a restarted worker redoes at most one).
 */
@Injectable()
export class DatasetJob {
  constructor(
    private readonly host: ModelHostService,
    private readonly scorer: MethodScorer,
    private readonly datasets: DatasetStore,
  ) {}

  private async source(request: DatasetRequest): Promise<{ set: QaSet; name: string }> {
    const source = request.source;
    if (source.kind === 'builtin') return { set: readBuiltinSet(source.set, request.seed), name: source.set };
    if (source.kind === 'jsonl') return { set: parseUserJsonl(await this.datasets.readText(source.key)), name: 'jsonl' };
    return { set: gradedKnowledgeSet(source), name: `graded-${source.format}` };
  }

  @HandlesJob('calibrator.dataset')
  async build(job: JobContext<DatasetRequest>): Promise<DatasetResult> {
    const request = job.payload;
    const stages = await JobStages.open(job);
    const model = await stages.fixed('model', async () => {
      const hosted = await this.host.acquire(request.model);
      return { key: hosted.key, ref: `${hosted.name}@${hosted.version}`, name: hosted.name };
    });
    const { set, name } = await this.source(request);
    const kshot = request.kshot ?? set.defaultKshot;
    const items = sampleItems(set.items, request.maxItems, request.seed);
    const splits = assignSplits(items, request.splits, request.seed);
    const planned: PlannedItem[] = items.map((item, index) => {
      const pool = (set.exemplars.get((item as { subject?: string }).subject ?? '') ?? set.exemplars.get('') ?? []).filter((e) => e.question !== item.question);
      const picks = pool.length && kshot ? sampleItems(pool, kshot, request.seed + index) : [];
      const question = questionText(item, set.format);
      return { ...item, index, split: splits[index], question, gold: goldTarget(item, set.format), prompt: kshotPrefix(picks, set.format, (item as { subject?: string }).subject) + contextText(question, set.format) };
    });
    const batches: PlannedItem[][] = [];
    for (let i = 0; i < planned.length; i += BATCH) batches.push(planned.slice(i, i + BATCH));
    stages.plan(batches.length);
    const maxNewTokens = set.format === 'choice' ? 1 : request.maxNewTokens;
    const rows = await stages.run('answer', batches, async (batch): Promise<LabelledRow[]> => {
      const texts = await this.scorer.greedyOrNull(model.key, batch.map((b) => b.prompt), maxNewTokens);
      return batch.flatMap((item, i) => {
        const text = texts[i];
        if (text === null) return []; // the prompt does not fit L's context: the question is dropped
        const answer = sanitizeAnswer(text);
        return [{ id: item.index, question: item.question, answer, label: gradeAnswer(answer, item, set.format), split: item.split, gold: item.gold }];
      });
    });
    if (rows.length === 0) throw AssayError.badRequest(`no question of the source fits ${model.ref}'s context`);
    const counts = Object.fromEntries(SPLITS.map((s) => [s, rows.filter((r) => r.split === s).length])) as Record<Split, number>;
    const accuracy = Object.fromEntries(SPLITS.map((s) => [s, counts[s] ? rows.filter((r) => r.split === s && r.label === 1).length / counts[s] : null])) as Record<Split, number | null>;
    const dataset = `${model.name}-${name}-${job.id.slice(0, 12)}`.replace(/[^a-z0-9._-]/g, '-');
    const rowsKey = await this.datasets.write(
      { dataset, model: model.ref, source: request.source, format: set.format, kshot, maxNewTokens, seed: request.seed, counts, accuracy, createdAt: new Date().toISOString(), jobId: job.id },
      rows,
    );
    return { dataset, model: model.ref, format: set.format, counts, accuracy, rowsKey };
  }
}
