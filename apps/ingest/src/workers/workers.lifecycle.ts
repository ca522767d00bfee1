import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Interval, SchedulerRegistry } from '@nestjs/schedule';
import { describeError } from '@connector/domain';
import { LOGGER, type Logger } from '@connector/observability';
import { PubSubChannel } from '@connector/salesforce';
import { Ownership } from './ownership';
import { Supervisor } from './supervisor';

/** How often every connection is looked at again, ms: a safety net for changes missed while no instance held a partition. */
const RECONCILE_EVERY_MS = 30_000;

/**
 * Joins the ownership group once Kafka and the store are up (their modules start in onModuleInit), reconciles
 * periodically, and stops every worker first on shutdown (their last replay ids saved) while Kafka and the store
 * are still open, then closes the Pub/Sub channel they shared.
 */
@Injectable()
export class WorkersLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly ownership: Ownership,
    private readonly supervisor: Supervisor,
    private readonly scheduler: SchedulerRegistry,
    private readonly pubsub: PubSubChannel,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ownership.start();
  }

  @Interval('reconcile-owned-connections', RECONCILE_EVERY_MS)
  async reconcile(): Promise<void> {
    await this.ownership.reconcile().catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'periodic ownership reconcile failed; will try again'));
  }

  async beforeApplicationShutdown(): Promise<void> {
    // No reconcile may start workers again once they are stopping (Nest clears intervals only later).
    this.scheduler.deleteInterval('reconcile-owned-connections');
    await this.supervisor.stopAll();
    this.pubsub.close();
  }
}
