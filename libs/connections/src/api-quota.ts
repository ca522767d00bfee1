import type { Logger } from '@connector/observability';
import type { ApiUsageRepository, ApiUsageSnapshot } from '@connector/persistence';
import type { ApiUsage, SalesforceRestClient } from '@connector/salesforce';

export interface ApiQuotaOptions {
  /** Share of the daily allocation left for the org's other integrations; below it, writes pause. */
  reservePercent: number;
  /** How long a pause lasts before the figures are read again (/limits), ms. */
  pauseMs?: number;
  /** How often figures are stored for the other apps and the API, per connection, ms. */
  persistEveryMs?: number;
}

interface Entry {
  tenantId: string;
  used: number;
  limit: number;
  observedAt: number;
  pausedUntil: number | null;
  pauseReason: string | null;
  persistedAt: number;
}

/**
 * The API-quota governor of a connection, shared between the apps through one small stored document: every
 * app reports what Salesforce says of the daily allocation (Sforce-Limit-Info on each response, /limits when
 * asked), and writers ask `blocked` before spending calls. Below the reserve, or after REQUEST_LIMIT_EXCEEDED,
 * the connection pauses (others go on) until fresh figures show quota again.
 */
export class ApiQuota {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly store: ApiUsageRepository, private readonly options: ApiQuotaOptions, private readonly logger: Logger) {}

  /** The figures of one response (Sforce-Limit-Info). */
  observe(connection: { id: string; tenantId: string }, usage: ApiUsage): void {
    const entry = this.entry(connection);
    entry.used = usage.used;
    entry.limit = usage.limit;
    entry.observedAt = Date.now();
    if (entry.pausedUntil === null && this.belowReserve(entry)) this.pause(connection.id, entry, `less than ${this.options.reservePercent}% of the daily API allocation left (${usage.used}/${usage.limit})`);
    void this.persist(connection.id, entry);
  }

  /** Salesforce refused a call for the org's limit: pause now. */
  exhausted(connection: { id: string; tenantId: string }, message: string): void {
    const entry = this.entry(connection);
    this.pause(connection.id, entry, `Salesforce refused calls: ${message}`);
    void this.persist(connection.id, entry, true);
  }

  /**
   * Null when the connection may spend calls; otherwise why not and until when. A pause that has run its time
   * reads /limits again (one call) and lifts when the figures allow.
   */
  async blocked(connection: { id: string; tenantId: string }, client: () => SalesforceRestClient): Promise<{ until: Date; reason: string } | null> {
    const entry = this.entry(connection);
    if (entry.pausedUntil === null) return null;
    if (Date.now() < entry.pausedUntil) return { until: new Date(entry.pausedUntil), reason: entry.pauseReason ?? 'paused' };
    try {
      const limits = await client().limits();
      const daily = limits.DailyApiRequests;
      if (daily) {
        entry.limit = daily.Max;
        entry.used = daily.Max - daily.Remaining;
        entry.observedAt = Date.now();
      }
    } catch (error) {
      this.logger.warn({ connectionId: connection.id, err: error }, 'could not read /limits; the connection stays paused');
      entry.pausedUntil = Date.now() + (this.options.pauseMs ?? 60_000);
      return { until: new Date(entry.pausedUntil), reason: entry.pauseReason ?? 'paused' };
    }
    if (this.belowReserve(entry)) {
      entry.pausedUntil = Date.now() + (this.options.pauseMs ?? 60_000);
      void this.persist(connection.id, entry, true);
      return { until: new Date(entry.pausedUntil), reason: entry.pauseReason ?? 'paused' };
    }
    this.logger.info({ tenantId: connection.tenantId, connectionId: connection.id, used: entry.used, limit: entry.limit }, 'API quota available again; connection resumed');
    entry.pausedUntil = null;
    entry.pauseReason = null;
    void this.persist(connection.id, entry, true);
    return null;
  }

  /** What is known of a connection's usage (for metrics). */
  usage(connectionId: string): { used: number; limit: number; paused: boolean } | null {
    const entry = this.entries.get(connectionId);
    return entry ? { used: entry.used, limit: entry.limit, paused: entry.pausedUntil !== null } : null;
  }

  connections(): string[] {
    return [...this.entries.keys()];
  }

  private belowReserve(entry: Entry): boolean {
    return entry.limit > 0 && entry.limit - entry.used < (entry.limit * this.options.reservePercent) / 100;
  }

  private pause(connectionId: string, entry: Entry, reason: string): void {
    const wasRunning = entry.pausedUntil === null;
    entry.pausedUntil = Date.now() + (this.options.pauseMs ?? 60_000);
    entry.pauseReason = reason;
    if (wasRunning) this.logger.warn({ tenantId: entry.tenantId, connectionId, reason, until: new Date(entry.pausedUntil).toISOString() }, 'connection paused for API quota');
  }

  private entry(connection: { id: string; tenantId: string }): Entry {
    let entry = this.entries.get(connection.id);
    if (!entry) {
      entry = { tenantId: connection.tenantId, used: 0, limit: 0, observedAt: 0, pausedUntil: null, pauseReason: null, persistedAt: 0 };
      this.entries.set(connection.id, entry);
    }
    return entry;
  }

  private async persist(connectionId: string, entry: Entry, now = false): Promise<void> {
    if (!now && Date.now() - entry.persistedAt < (this.options.persistEveryMs ?? 5000)) return;
    entry.persistedAt = Date.now();
    const snapshot: ApiUsageSnapshot = {
      connectionId, tenantId: entry.tenantId, used: entry.used, limit: entry.limit,
      pausedUntil: entry.pausedUntil === null ? null : new Date(entry.pausedUntil), pauseReason: entry.pauseReason, observedAt: new Date(entry.observedAt || Date.now()),
    };
    await this.store.save(snapshot).catch((error) => this.logger.warn({ connectionId, err: error }, 'could not store API usage'));
  }
}
