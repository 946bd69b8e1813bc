// Guards the write endpoints with `Authorization: Bearer <DROVER_ADMIN_TOKEN>`. No token configured →
// 403 (the feature is off, not merely unauthenticated); missing or wrong → 401. The comparison hashes
// both sides first so timingSafeEqual sees equal lengths and the token's length does not leak.
import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import type { HttpRequest } from './http-types.js';
import { CONFIG } from './tokens.js';

@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  canActivate(ctx: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (!expected) throw new ForbiddenException('sync is disabled: DROVER_ADMIN_TOKEN is not configured');
    const header = ctx.switchToHttp().getRequest<HttpRequest>().headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new UnauthorizedException('missing "Authorization: Bearer <token>" header');
    if (!sameSecret(m[1]!, expected)) throw new UnauthorizedException('invalid admin token');
    return true;
  }
}

export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
