/** How wide an org's calls may go, and what narrows them. */
export interface CallPaceOptions {
  /** Calls in flight however fast the org answers. */
  min: number;
  /** Calls in flight however slow the org answers. */
  max: number;
  /** The gap between call starts aimed at: a call of `spacingMs × n` allows n in flight. */
  spacingMs: number;
  /** Salesforce's concurrent long-running (≥ 20 s) requests per org; calls that slow stay under it with a margin. */
  longRunningLimit: number;
  /** For how long a REQUEST_LIMIT_EXCEEDED halves the width, ms. */
  refusalHoldMs: number;
  now: () => number;
}

export const DEFAULT_CALL_PACE: CallPaceOptions = { min: 4, max: 48, spacingMs: 100, longRunningLimit: 25, refusalHoldMs: 60_000, now: Date.now };

/** Salesforce counts a request as long-running from 20 s. */
const LONG_RUNNING_MS = 20_000;
/** Kept free of the long-running limit for the org's other integrations. */
const LONG_RUNNING_MARGIN = 5;
/** Weight of the newest call in the latency average. */
const EWMA_WEIGHT = 0.2;

/**
 * The calls one org has in flight: as many as its latency calls for (slow answers allow more at once, since
 * Salesforce limits only concurrent long-running requests), at most `longRunningLimit - 5` once calls near 20 s,
 * halved for a while after the org refuses one. Callers past the width wait here, behind this org's calls only.
 */
export class CallPace {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private latencyMs: number | null = null;
  private refused: { until: number; width: number } | null = null;

  constructor(private readonly options: CallPaceOptions = DEFAULT_CALL_PACE) {}

  /** Calls allowed in flight now. */
  get width(): number {
    const { min, max, spacingMs, longRunningLimit, now } = this.options;
    let width = Math.min(max, Math.max(min, Math.ceil((this.latencyMs ?? 0) / spacingMs)));
    if ((this.latencyMs ?? 0) >= LONG_RUNNING_MS / 2) width = Math.min(width, longRunningLimit - LONG_RUNNING_MARGIN);
    if (this.refused && now() < this.refused.until) width = Math.min(width, this.refused.width);
    return Math.max(1, width);
  }

  /** The most calls it ever allows in flight. */
  get maxWidth(): number {
    return this.options.max;
  }

  /** The average latency of the org's recent calls, ms (null before the first). */
  get averageMs(): number | null {
    return this.latencyMs;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.width) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += 1;
    const started = this.options.now();
    try {
      return await call();
    } finally {
      this.observe(this.options.now() - started);
      this.inFlight -= 1;
      this.wake();
    }
  }

  /** The org refused a call for its request limit: halve the width for a while. */
  limitExceeded(): void {
    this.refused = { until: this.options.now() + this.options.refusalHoldMs, width: Math.max(1, Math.floor(Math.max(this.inFlight, this.width) / 2)) };
  }

  private observe(ms: number): void {
    this.latencyMs = this.latencyMs === null ? ms : this.latencyMs + EWMA_WEIGHT * (ms - this.latencyMs);
  }

  private wake(): void {
    let free = this.width - this.inFlight;
    while (free-- > 0 && this.waiting.length > 0) this.waiting.shift()!();
  }
}
