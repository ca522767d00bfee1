export type HealthStatus = 'up' | 'down';

export interface HealthCheckResult {
  status: HealthStatus;
  /** What the check saw: an address, a latency, a reason when down. Never a secret. */
  details?: Record<string, unknown>;
}

/** A dependency the app needs (Kafka, the schema registry, MongoDB, a stream): checked on each /health call. */
export interface HealthIndicator {
  readonly name: string;
  check(): Promise<HealthCheckResult>;
}

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, HealthCheckResult>;
}

export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicator>();

  register(indicator: HealthIndicator): void {
    this.indicators.set(indicator.name, indicator);
  }

  names(): string[] {
    return [...this.indicators.keys()];
  }

  /** Runs every check at once, each bounded by the timeout, and reports each dependency truthfully. */
  async report(timeoutMs = 3000): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.indicators.values()].map(async (indicator) => [indicator.name, await checkWithTimeout(indicator, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(entries);
    const status: HealthStatus = entries.every(([, result]) => result.status === 'up') ? 'up' : 'down';
    return { status, checks };
  }
}

async function checkWithTimeout(indicator: HealthIndicator, timeoutMs: number): Promise<HealthCheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthCheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', details: { reason: `no answer within ${timeoutMs} ms` } }), timeoutMs);
  });
  try {
    return await Promise.race([
      indicator.check().catch((error: unknown) => ({
        status: 'down' as const,
        details: { reason: error instanceof Error ? error.message : String(error) },
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
