import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { compareVersions, isValidName, LATEST, ObjectStore, timestampVersion } from '@assay/artifacts';
import { AssayError, splitModelRef } from '@assay/contracts';
import { DphLossKind, RewardHead, RewardHeadState } from '@assay/stats';

const PREFIX = 'reward-heads/';
const FILE = 'head.json';

/** A head artifact: the weights, the L it reads (name@version) and how it was trained. */
export interface HeadArtifact {
  kind: 'assay-reward-head';
  schemaVersion: 1;
  name: string;
  version: string;
  /** The frozen backbone whose end-of-turn states the head reads, `name@version`. */
  model: string;
  loss: DphLossKind;
  epsilon: number;
  /** The template's end-of-turn marker the states were read at. */
  endOfTurn: string;
  createdAt: string;
  training: Record<string, unknown>;
  state: RewardHeadState;
}

export interface LoadedHead {
  artifact: HeadArtifact;
  head: RewardHead;
}

/**
 * Reward heads as versioned artifacts in the object store, `reward-heads/<name>/<version>/head.json` (signed like
 * every object when the platform has a signing key): versions sort as the model registry's, "name" and
 * "name@latest" are the newest. A version is immutable, so loaded heads are cached by name@version.
 */
@Injectable()
export class HeadStore {
  private readonly cache = new Map<string, Promise<LoadedHead>>();

  constructor(private readonly store: ObjectStore) {}

  async save(artifact: Omit<HeadArtifact, 'version' | 'createdAt' | 'kind' | 'schemaVersion'>): Promise<HeadArtifact> {
    const version = timestampVersion(new Date(), randomBytes(2).toString('hex'));
    const full: HeadArtifact = { kind: 'assay-reward-head', schemaVersion: 1, ...artifact, version, createdAt: new Date().toISOString() };
    await this.store.putJson(`${PREFIX}${artifact.name}/${version}/${FILE}`, full);
    return full;
  }

  async versions(name: string): Promise<string[]> {
    const { objects } = await this.store.list(`${PREFIX}${name}/`, { recursive: true });
    return objects
      .map(({ key }) => key.slice(PREFIX.length + name.length + 1).split('/'))
      .filter((parts) => parts.length === 2 && parts[1] === FILE)
      .map((parts) => parts[0])
      .sort(compareVersions);
  }

  /** The head of a reference ("name", "name@latest", "name@version"); NOT_FOUND when there is none. */
  async load(ref: string): Promise<LoadedHead> {
    const { name, version } = splitModelRef(ref);
    if (!isValidName(name) || (version !== undefined && !isValidName(version))) throw AssayError.badRequest(`invalid reward head reference ${JSON.stringify(ref)}`, { field: 'head' });
    let resolved = version;
    if (resolved === undefined || resolved === LATEST) {
      const versions = await this.versions(name);
      if (versions.length === 0) throw AssayError.notFound(`unknown reward head "${ref}"`, { head: ref });
      resolved = versions[versions.length - 1];
    }
    const key = `${name}@${resolved}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.read(name, resolved, ref);
      this.cache.set(key, pending);
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  private async read(name: string, version: string, ref: string): Promise<LoadedHead> {
    const key = `${PREFIX}${name}/${version}/${FILE}`;
    if (!(await this.store.exists(key))) throw AssayError.notFound(`unknown reward head "${ref}"`, { head: ref });
    const artifact = await this.store.getJson<HeadArtifact>(key);
    if (artifact.kind !== 'assay-reward-head' || artifact.schemaVersion !== 1) throw AssayError.internal(`${key} is not a reward head artifact`);
    return { artifact, head: RewardHead.fromJSON(artifact.state) };
  }
}
