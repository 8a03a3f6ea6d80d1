import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, Policy, PolicySpec } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG } from '@assay/platform';
import { jobRow, JobRow } from './console-pages';
import { PolicyService } from './policy.service';
import { RecentRequest, RecentRequests } from './recent-requests';

export const SESSION_COOKIE = 'assay_console';
const REPORT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', svg: 'image/svg+xml', json: 'application/json' };

/**
 * What the console shows, and its sessions. Logging in with an API key (one of ASSAY_API_KEYS) sets a cookie holding
 * HMAC-SHA256(key, "assay-console"): the key itself never sits in the browser, and the cookie is only valid while the
 * key is configured. Without configured keys the console is open, like the API.
 */
@Injectable()
export class ConsoleService {
  private readonly sessions: Buffer[];

  constructor(
    private readonly policies: PolicyService,
    private readonly recent: RecentRequests,
    private readonly jobs: AssayJobsClient,
    private readonly store: ObjectStore,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {
    this.sessions = config.http.apiKeys.map((key) => Buffer.from(ConsoleService.sessionOf(key)));
  }

  static sessionOf(key: string): string {
    return createHmac('sha256', key).update('assay-console').digest('hex');
  }

  get traceUrlTemplate(): string | undefined {
    return this.config.gateway.traceUrlTemplate;
  }

  /** The session cookie's value for a valid API key; UNAUTHORIZED otherwise. */
  login(key: unknown): string {
    const session = Buffer.from(ConsoleService.sessionOf(String(key ?? '')));
    if (this.sessions.length > 0 && !this.valid(session)) throw AssayError.unauthorized('invalid API key');
    return session.toString();
  }

  /** Whether a request's Cookie header holds a valid session. */
  authenticated(cookieHeader: string | undefined): boolean {
    if (this.sessions.length === 0) return true;
    const value = (cookieHeader ?? '').split(';').map((c) => c.trim().split('=')).find(([name]) => name === SESSION_COOKIE)?.[1];
    return value !== undefined && this.valid(Buffer.from(value));
  }

  private valid(session: Buffer): boolean {
    return this.sessions.some((s) => s.length === session.length && timingSafeEqual(s, session));
  }

  async policyList(): Promise<Policy[]> {
    return (await this.policies.list()).policies;
  }

  createPolicy(spec: PolicySpec): Promise<Policy> {
    return this.policies.create(spec);
  }

  requests(): RecentRequest[] {
    return this.recent.list(100);
  }

  /** Recent jobs (training, evaluations, audits...), newest first, each with its report when it wrote one. */
  async jobRows(): Promise<JobRow[]> {
    const jobs = await this.jobs.list({ limit: 50 });
    return jobs.map((job) => {
      const key = (job.result as { reportKey?: unknown } | undefined)?.reportKey;
      return jobRow(job, typeof key === 'string' && key.startsWith('reports/') ? key.slice('reports/'.length) : undefined);
    });
  }

  /** Every HTML report under `reports/` in the object store, newest first. */
  async reports(): Promise<Array<{ key: string; at: string }>> {
    const { objects } = await this.store.list('reports/', { recursive: true });
    return objects
      .filter((o) => o.key.endsWith('.html'))
      .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())
      .map((o) => ({ key: o.key.slice('reports/'.length), at: o.lastModified.toISOString() }));
  }

  /** A report file (`reports/<path>`: HTML, SVG or JSON); NOT_FOUND for anything else. */
  async report(path: string): Promise<{ stream: Readable; contentType: string }> {
    const ext = path.split('.').pop() ?? '';
    if (!/^[A-Za-z0-9._\-/]+$/.test(path) || path.split('/').some((s) => s === '' || s === '..') || !REPORT_TYPES[ext]) throw AssayError.notFound(`no report ${path}`);
    const key = `reports/${path}`;
    if (!(await this.store.exists(key))) throw AssayError.notFound(`no report ${path}`);
    return { stream: await this.store.get(key), contentType: REPORT_TYPES[ext] };
  }
}
