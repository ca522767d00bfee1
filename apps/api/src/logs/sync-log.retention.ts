import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { LOGGER, type Logger } from '@connector/observability';
import { SyncLogsRepository } from '@connector/persistence';

export const LOG_OPTIONS = Symbol('LOG_OPTIONS');

export interface LogOptions {
  retentionDays: number;
  sweepIntervalMs: number;
}

/** Removes sync-log entries older than the retention window: once at start-up, then every sweep interval. */
@Injectable()
export class SyncLogRetention implements OnApplicationBootstrap {
  constructor(
    private readonly logs: SyncLogsRepository,
    private readonly scheduler: SchedulerRegistry,
    @Inject(LOG_OPTIONS) private readonly options: LogOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep(); // housekeeping never holds up start-up
    const timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    timer.unref();
    this.scheduler.addInterval('sync-log-retention', timer);
  }

  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    try {
      const removed = await this.logs.deleteOlderThan(cutoff);
      if (removed > 0) this.logger.info({ removed, cutoff }, 'removed sync-log entries past retention');
      return removed;
    } catch (error) {
      this.logger.warn({ err: error }, 'sync-log retention sweep failed; will try again');
      return 0;
    }
  }
}
