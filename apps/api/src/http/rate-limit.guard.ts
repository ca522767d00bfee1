import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/jwt-verifier';

export const RATE_LIMIT = Symbol('RATE_LIMIT');

export interface RateLimitOptions {
  /** Requests per minute per tenant (a token bucket of this size, refilled continuously). */
  perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Rate limiting per tenant, after authentication: one busy project can't starve the others. Buckets live in this
 * instance; with N instances behind a balancer a tenant gets up to N times the rate.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets = new Map<string, Bucket>();

  constructor(@Inject(RATE_LIMIT) private readonly options: RateLimitOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const tenant = request.principal?.tenantId;
    if (!tenant) return true; // public routes (health, metrics, the OAuth callback)
    const now = Date.now();
    const capacity = this.options.perMinute;
    const bucket = this.buckets.get(tenant) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 60_000) * capacity);
    bucket.at = now;
    this.buckets.set(tenant, bucket);
    if (this.buckets.size > 100_000) this.buckets.clear(); // a bound on memory; buckets refill anyway
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil(((1 - bucket.tokens) / capacity) * 60);
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw new HttpException({ code: 'RATE_LIMITED', message: `too many requests for this project: retry in ${retryAfter} s` }, HttpStatus.TOO_MANY_REQUESTS);
    }
    bucket.tokens -= 1;
    return true;
  }
}
