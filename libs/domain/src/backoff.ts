export interface BackoffPolicy {
  /** The first wait's ceiling, ms. */
  initialMs: number;
  /** No wait is longer, ms. */
  maxMs: number;
}

/**
 * Exponential backoff with equal jitter: the n-th wait (n from 1) is between half and all of
 * min(maxMs, initialMs · 2^(n-1)), so waits grow while concurrent retriers spread apart.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
