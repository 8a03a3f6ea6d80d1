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
@Injectable()
export class PolicyService {
  constructor(private readonly store: PolicyStore) {}

  async create(spec: PolicySpec): Promise<Policy> {
    if (spec.maxLog2Epsilon !== undefined && !Number.isFinite(spec.maxLog2Epsilon)) throw AssayError.badRequest('maxLog2Epsilon must be finite');
    const versions = await this.store.versions(spec.name);
    const policy: Policy = { ...spec, version: (versions[versions.length - 1] ?? 0) + 1, createdAt: new Date().toISOString() };
    await this.store.put(policy);
    return policy;
  }

  get(ref: string): Promise<Policy> {
    const { name, version } = splitPolicyRef(ref);
    return this.store.get(name, version);
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

  /** Whether a policy of this name exists (the OpenAI `model` field names a policy or a plain model). */
  async exists(name: string): Promise<boolean> {
    return (await this.store.versions(name)).length > 0;
  }

  async delete(name: string): Promise<{ name: string; deletedVersions: number }> {
    const deletedVersions = await this.store.delete(name);
    if (deletedVersions === 0) throw AssayError.notFound(`no policy named ${name}`, { policy: name });
    return { name, deletedVersions };
  }
}
