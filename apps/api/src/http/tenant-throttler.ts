import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerStorage } from '@nestjs/throttler';
import type { Logger } from '@connector/observability';
import { RateLimitsRepository } from '@connector/persistence';
import type { Principal } from '../auth/jwt-verifier';

/**
 * @nestjs/throttler's storage on the shared store: every API instance counts a tenant's requests in the same
 * documents. A sliding-window estimate (this window's count plus the previous one's, weighted by how much of it
 * still overlaps) keeps a burst across a window boundary from getting twice the limit. When the store cannot
 * count (it is down), requests pass: the limiter protects the API, it must not take it down with the store.
 */
export class SharedThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly counters: RateLimitsRepository, private readonly logger: Logger) {}

  async increment(key: string, ttl: number, limit: number): Promise<Awaited<ReturnType<ThrottlerStorage['increment']>>> {
    const now = Date.now();
    let count: Awaited<ReturnType<RateLimitsRepository['hit']>>;
    try {
      count = await this.counters.hit(key, ttl, now);
    } catch (error) {
      this.logger.warn({ err: error, key }, 'rate limit not counted: the store did not answer; the request passes');
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
    const estimate = count.current + count.previous * (1 - count.elapsed);
    const timeToExpire = Math.max(1, Math.ceil((count.windowEndsAt - now) / 1000));
    const isBlocked = estimate > limit;
    return { totalHits: Math.ceil(estimate), timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}

/**
 * Rate limiting per tenant, after authentication: one busy project can't starve the others. Public routes
 * (health, metrics, the OAuth callback, the document) are not limited; a refusal is the API's 429 with Retry-After.
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return !context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return `tenant:${(request as { principal: Principal }).principal.tenantId}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new HttpException({ code: 'RATE_LIMITED', message: `too many requests for this project: retry in ${detail.timeToBlockExpire} s` }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** The rate window, ms; a window stops counting one window after it ends (as the previous one). */
export const RATE_WINDOW_MS = 60_000;

/** Removes the counters of windows that no longer count. */
@Injectable()
export class RateWindowSweeper {
  constructor(private readonly counters: RateLimitsRepository) {}

  @Interval('rate-window-sweep', RATE_WINDOW_MS)
  async sweep(): Promise<void> {
    await this.counters.deleteEnded(new Date(Date.now() - RATE_WINDOW_MS)).catch(() => undefined); // tried again next minute
  }
}
