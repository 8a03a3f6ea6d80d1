import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { AssayError } from '@assay/contracts';
import { ASSAY_CONFIG } from './tokens';
import type { AssayConfig } from './config';

const PUBLIC_ROUTE = 'assay:public';
/** Health, readiness and metrics stay open for probes and scrapers. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * HTTP routes need an API key (`x-api-key: <key>` or `Authorization: Bearer <key>`) from ASSAY_API_KEYS.
 * NATS traffic is authenticated by the NATS server itself (user/password or token), not here. Guards run before the
 * body is read (JsonBodyInterceptor), so a request without a key is answered 401 UNAUTHORIZED unread.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(ASSAY_CONFIG) config: AssayConfig,
  ) {
    this.keys = config.http.apiKeys.map((key) => Buffer.from(key));
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    if (this.keys.length === 0) return true;
    const request = context.switchToHttp().getRequest();
    const header = request.headers['x-api-key'] ?? String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const presented = Buffer.from(String(header ?? ''));
    const ok = this.keys.some((key) => key.length === presented.length && timingSafeEqual(key, presented));
    if (!ok) throw AssayError.unauthorized(header ? 'invalid API key (send one of ASSAY_API_KEYS as x-api-key)' : 'missing API key (send x-api-key: <key> or Authorization: Bearer <key>)');
    return true;
  }
}
