import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, ResponseSet } from '@assay/contracts';
import { EvaluationItem, MultipleChoiceItem, parseEvaluationItems, parseMultipleChoice } from './evaluation-items';

/** Evaluation and benchmark data sets in the object store. */
@Injectable()
export class EvaluationDataStore {
  constructor(private readonly store: ObjectStore) {}

  /** Before queueing a job: NOT_FOUND for a key that was never uploaded. */
  async assertExists(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      if (!(await this.store.exists(key))) throw AssayError.notFound(`no object "${key}" in the object store (upload the data first)`, { key });
    }
  }

  async items(set: ResponseSet, maxItems: number): Promise<EvaluationItem[]> {
    const items = parseEvaluationItems(await this.text(set.key), set.kind, maxItems);
    if (items.length === 0) throw AssayError.badRequest(`${set.key} holds no ${set.kind === 'prompts' ? 'prompt' : 'response'}`);
    return items;
  }

  async questions(key: string, maxItems: number): Promise<MultipleChoiceItem[]> {
    const items = parseMultipleChoice(await this.text(key), maxItems);
    if (items.length === 0) throw AssayError.badRequest(`${key} holds no multiple-choice question`);
    return items;
  }

  private async text(key: string): Promise<string> {
    const content = await this.store.getBuffer(key).catch((error: unknown) => {
      const failure = AssayError.from(error);
      throw failure.code === 'NOT_FOUND' ? AssayError.badRequest(`no object "${key}" in the object store`) : failure;
    });
    return content.toString('utf8');
  }
}
