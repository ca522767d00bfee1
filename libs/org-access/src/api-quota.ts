import type { Logger } from '@connector/observability';
import type { ApiUsageRepository } from '@connector/persistence';
import type { ApiUsage, SalesforceRestClient } from '@connector/salesforce';

export interface ApiQuotaOptions {
  /** Share of the daily allocation left for the org's other integrations; below it, writes pause. */
  reservePercent: number;
  /** How long a pause lasts before the figures are read again (/limits), ms. */
  pauseMs?: number;
  /**
   * How often a connection's figures are stored for the API, ms (30 s: they are for display; a pause taken or lifted
   * is stored at once).
   */
  persistEveryMs?: number;
  /** How long a stored pause (taken by another instance or app) is trusted before it is read again, ms. */
  sharedReadEveryMs?: number;
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

interface StoredPause {
  until: number;
  reason: string;
}

/**
 * The API-quota governor of a connection. Every instance of every app reports what Salesforce says of the daily
 * allocation (Sforce-Limit-Info on each response, /limits when asked) into one small stored document per
 * connection. Below the reserve, or after REQUEST_LIMIT_EXCEEDED, the instance that sees it pauses the
 * connection (others go on) and stores the pause; every other instance reads it there (`blocked`, `waitWhilePaused`)
 * and holds its calls too, until fresh figures show quota again. An instance reads the stored pauses of all its
 * connections in one query, at most every `sharedReadEveryMs`.
 */
export class ApiQuota {
  private readonly entries = new Map<string, Entry>();
  /** The pauses in force in the store at the last read, by connection id. */
  private stored = new Map<string, StoredPause & { tenantId: string }>();
  private storedReadStartedAt = Number.NEGATIVE_INFINITY;
  private storedRead: Promise<void> | null = null;

  constructor(private readonly store: ApiUsageRepository, private readonly options: ApiQuotaOptions, private readonly logger: Logger) {}

  /** The figures of one response (Sforce-Limit-Info). */
  observe(connection: { id: string; tenantId: string }, usage: ApiUsage): void {
    const entry = this.entry(connection);
    entry.used = usage.used;
    entry.limit = usage.limit;
    entry.observedAt = Date.now();
    const pausing = entry.pausedUntil === null && this.belowReserve(entry);
    if (pausing) this.pause(connection.id, entry, `less than ${this.options.reservePercent}% of the daily API allocation left (${usage.used}/${usage.limit})`);
    void this.persist(connection.id, entry, pausing);
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
    if (entry.pausedUntil === null) {
      const shared = await this.sharedPause(connection);
      if (!shared) return null;
      // Another instance paused the connection: this one holds its calls as long (and reads /limits after).
      entry.pausedUntil = shared.until;
      entry.pauseReason = shared.reason;
      this.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, reason: shared.reason, until: new Date(shared.until).toISOString() }, 'connection paused for API quota by another instance');
    }
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

  /**
   * For an app that only reads (ingest): waits while a pause is stored for the connection, without reading
   * /limits itself (the pausing writer lifts it, or it runs out).
   */
  async waitWhilePaused(connection: { id: string; tenantId: string }, signal?: AbortSignal): Promise<void> {
    const entry = this.entry(connection);
    for (;;) {
      const local = entry.pausedUntil !== null && entry.pausedUntil > Date.now() ? { until: entry.pausedUntil, reason: entry.pauseReason ?? 'paused' } : null;
      const pause = local ?? (await this.sharedPause(connection));
      if (!pause || signal?.aborted) return;
      // Looked at again as often as the stored pause is read: a lift by the pausing writer is seen within that.
      await new Promise((resolve) => setTimeout(resolve, Math.max(200, Math.min(this.options.sharedReadEveryMs ?? 2000, pause.until - Date.now()))));
    }
  }

  /** The pause stored for the connection by any instance, if one is in force. */
  private async sharedPause(connection: { id: string; tenantId: string }): Promise<StoredPause | null> {
    await this.readStoredPauses();
    const pause = this.stored.get(connection.id);
    return pause && pause.tenantId === connection.tenantId && pause.until > Date.now() ? pause : null;
  }

  /** Reads every stored pause in force, once per `sharedReadEveryMs` for all connections; callers meanwhile share it. */
  private readStoredPauses(): Promise<void> {
    if (this.storedRead) return this.storedRead;
    if (Date.now() - this.storedReadStartedAt < (this.options.sharedReadEveryMs ?? 2000)) return Promise.resolve();
    this.storedReadStartedAt = Date.now();
    this.storedRead = this.store
      .pausedPast(new Date(this.storedReadStartedAt))
      .then((paused) => {
        this.stored = new Map(paused.map((p) => [p.connectionId, { tenantId: p.tenantId, until: p.pausedUntil!.getTime(), reason: p.pauseReason ?? 'paused' }]));
      })
      // The last read stands (its pauses still run out by their time); the next call reads again.
      .catch((error) => this.logger.warn({ err: error }, 'could not read the stored API quota pauses'))
      .finally(() => (this.storedRead = null));
    return this.storedRead;
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

  /** Stores the figures; with `pause`, the pause too (taken, extended or lifted by this instance). */
  private async persist(connectionId: string, entry: Entry, pause = false): Promise<void> {
    if (!pause && Date.now() - entry.persistedAt < (this.options.persistEveryMs ?? 30_000)) return;
    entry.persistedAt = Date.now();
    const snapshot: Parameters<ApiUsageRepository['save']>[0] = {
      connectionId, tenantId: entry.tenantId, used: entry.used, limit: entry.limit, observedAt: new Date(entry.observedAt || Date.now()),
      ...(pause ? { pausedUntil: entry.pausedUntil === null ? null : new Date(entry.pausedUntil), pauseReason: entry.pauseReason } : {}),
    };
    await this.store.save(snapshot).catch((error) => this.logger.warn({ connectionId, err: error }, 'could not store API usage'));
  }
}
