import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError } from '@assay/contracts';
import { ChoiceItem, parseChoiceItems, parsePreferencePairs, parsePrompts, PreferencePair } from './preference-data';

/** The reward head's data files in the object store (the one place it reads them). */
@Injectable()
export class RewardDataStore {
  constructor(private readonly store: ObjectStore) {}

  /** NOT_FOUND naming the first key that does not exist. */
  async assertExists(keys: ReadonlyArray<string | undefined>): Promise<void> {
    for (const key of keys) {
      if (key !== undefined && !(await this.store.exists(key))) throw AssayError.notFound(`no object ${key} in the object store`, { key });
    }
  }

  private async text(key: string): Promise<string> {
    await this.assertExists([key]);
    return (await this.store.getBuffer(key)).toString('utf8');
  }

  async pairs(key: string, max: number): Promise<PreferencePair[]> {
    return parsePreferencePairs(await this.text(key), key).slice(0, max);
  }

  async choices(key: string, max: number): Promise<ChoiceItem[]> {
    return parseChoiceItems(await this.text(key), key).slice(0, max);
  }

  async prompts(key: string, max: number): Promise<string[]> {
    return parsePrompts(await this.text(key)).slice(0, max);
  }
}
