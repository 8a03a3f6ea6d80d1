import { Injectable } from '@nestjs/common';
import { AssayError, Policy, PolicySpec } from '@assay/contracts';
import { PolicyStore } from './policy.store';

/** `name` or `name@version` (versions are integers). */
export function splitPolicyRef(ref: string): { name: string; version?: number } {
  const [name, version] = ref.split('@');
  return version === undefined ? { name } : { name, version: Number(version) };
}

/**
 * Named, versioned assurance policies: create writes the next version (versions are immutable, so an answer's
 * `assay.policy` names exactly the settings that produced it), get reads one, list the latest of each, delete all.
 */
/** How long this replica trusts its answer to "which is the latest version of policy X" (versions never change). */
export const LATEST_TTL_MS = 1000;

@Injectable()
export class PolicyService {
  /** `name@version` → policy: versions are immutable, so they are cached for good. */
  private readonly versions = new Map<string, Policy>();
  /** name → its latest version (or null: no such policy) and when that was read. */
  private readonly latest = new Map<string, { policy: Policy | null; at: number }>();

  constructor(private readonly store: PolicyStore) {}

  async create(spec: PolicySpec): Promise<Policy> {
    const versions = await this.store.versions(spec.name);
    const policy: Policy = { ...spec, version: (versions[versions.length - 1] ?? 0) + 1, createdAt: new Date().toISOString() };
    await this.store.put(policy);
    this.latest.delete(spec.name);
    return policy;
  }

  async get(ref: string): Promise<Policy> {
    const { name, version } = splitPolicyRef(ref);
    if (version === undefined) {
      const policy = await this.latestOf(name);
      if (policy === null) throw AssayError.notFound(`no policy named ${name}`, { policy: name, version: null });
      return policy;
    }
    const cached = this.versions.get(`${name}@${version}`);
    if (cached) return cached;
    const policy = await this.store.get(name, version);
    this.versions.set(`${name}@${version}`, policy);
    return policy;
  }

  /**
   * The latest version of a policy, or null. Answered from memory for LATEST_TTL_MS (a request names a policy on every
   * call; the object store is asked at most once a second per policy), so another replica's new version is used within
   * a second; this replica's own writes are seen at once.
   */
  async latestOf(name: string): Promise<Policy | null> {
    const hit = this.latest.get(name);
    if (hit && Date.now() - hit.at < LATEST_TTL_MS) return hit.policy;
    const versions = await this.store.versions(name);
    const last = versions[versions.length - 1];
    const policy = last === undefined ? null : await this.get(`${name}@${last}`);
    this.latest.set(name, { policy, at: Date.now() });
    return policy;
  }

  /** Every version of `name`, or the latest version of every policy. */
  async list(name?: string): Promise<{ policies: Policy[] }> {
    if (name !== undefined) {
      const versions = await this.store.versions(name);
      return { policies: await Promise.all(versions.map((v) => this.store.get(name, v))) };
    }
    const names = await this.store.names();
    return { policies: await Promise.all(names.map((n) => this.store.get(n))) };
  }

  async delete(name: string): Promise<{ name: string; deletedVersions: number }> {
    const deletedVersions = await this.store.delete(name);
    this.latest.delete(name);
    for (const key of [...this.versions.keys()]) if (key.startsWith(`${name}@`)) this.versions.delete(key);
    if (deletedVersions === 0) throw AssayError.notFound(`no policy named ${name}`, { policy: name });
    return { name, deletedVersions };
  }
}
