import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { SERVICE_CONTRACTS } from '@assay/contracts';
import type { AssayConfig } from './config';
import { ROUTE_OPERATION, SUBJECT_HANDLER } from './contract-handlers';
import { ASSAY_CONFIG } from './tokens';

/** What a service's controllers serve, as declared by @AnswersSubject and @ServesRoute. */
export interface ServedContracts {
  subjects: string[];
  routes: string[];
}

/**
 * Boot fails unless the service serves exactly what the contract registry declares for it: every subject answered
 * (health included, by the platform) and every route served, once, and nothing of another service. So the
 * registry, the catalogue and the OpenAPI document cannot drift from the running code.
 */
@Injectable()
export class ContractCoverageService implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  onApplicationBootstrap() {
    const service = this.config.service;
    if (!service) return;
    const served = this.served();
    const contract = SERVICE_CONTRACTS[service];
    const problems = [
      ...compare('subject', Object.keys(contract.subjects), served.subjects),
      ...compare('route', Object.keys(contract.routes), served.routes),
    ];
    if (problems.length) throw new Error(`service ${service} does not match its contracts (shared/contracts): ${problems.join('; ')}`);
  }

  served(): ServedContracts {
    const out: ServedContracts = { subjects: [], routes: [] };
    for (const wrapper of this.discovery.getControllers()) {
      const prototype = wrapper.metatype?.prototype as Record<string, unknown> | undefined;
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const subject = this.reflector.get<string>(SUBJECT_HANDLER, prototype[method] as () => unknown);
        const route = this.reflector.get<string>(ROUTE_OPERATION, prototype[method] as () => unknown);
        if (subject) out.subjects.push(subject);
        if (route) out.routes.push(route);
      }
    }
    return out;
  }
}

function compare(what: string, declared: string[], served: string[]): string[] {
  const problems: string[] = [];
  for (const name of declared) {
    const count = served.filter((s) => s === name).length;
    if (count !== 1) problems.push(`${what} ${name} is served ${count} times`);
  }
  for (const name of new Set(served)) if (!declared.includes(name)) problems.push(`${what} ${name} is not declared for this service`);
  return problems;
}
