import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, Policy, PolicySchema } from '@assay/contracts';

const PREFIX = 'policies/';

/**
 * Policies as versioned, signed artifacts in the object store: `policies/<name>/<version, 9 digits>.json`. A version is
 * never rewritten: creating a policy that exists writes the next version. All I/O of the gateway's policies is here.
 */
@Injectable()
export class PolicyStore {
  constructor(private readonly store: ObjectStore) {}

  private key(name: string, version: number): string {
    return `${PREFIX}${name}/${String(version).padStart(9, '0')}.json`;
  }

  /** The versions of a policy, ascending (empty when there is none). */
  async versions(name: string): Promise<number[]> {
    const { objects } = await this.store.list(`${PREFIX}${name}/`, { recursive: true });
    return objects
      .map((o) => /\/(\d{9})\.json$/.exec(o.key)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async put(policy: Policy): Promise<void> {
    await this.store.putJson(this.key(policy.name, policy.version), policy);
  }

  /** One version (the latest when `version` is absent); NOT_FOUND when there is none. */
  async get(name: string, version?: number): Promise<Policy> {
    const versions = await this.versions(name);
    const chosen = version ?? versions[versions.length - 1];
    if (chosen === undefined || !versions.includes(chosen)) {
      throw AssayError.notFound(version === undefined ? `no policy named ${name}` : `policy ${name} has no version ${version}`, { policy: name, version: version ?? null });
    }
    return PolicySchema.parse(await this.store.getJson(this.key(name, chosen)));
  }

  /** The names of every policy. */
  async names(): Promise<string[]> {
    const { prefixes } = await this.store.list(PREFIX);
    return prefixes.map((p) => p.slice(PREFIX.length).replace(/\/$/, '')).sort();
  }

  async delete(name: string): Promise<number> {
    return this.store.deletePrefix(`${PREFIX}${name}/`);
  }
}
