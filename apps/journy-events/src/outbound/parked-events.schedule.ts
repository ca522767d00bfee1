import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Interval, SchedulerRegistry } from '@nestjs/schedule';
import { LOGGER, type Logger } from '@connector/observability';
import { OutboundProcessor, RESUME_EVERY_MS } from './outbound-processor';

const NAME = 'resume-parked-events';

/** Tries parked events again (a paused or failing connection that may be back); stops first on shutdown. */
@Injectable()
export class ParkedEventsSchedule implements BeforeApplicationShutdown {
  constructor(private readonly processor: OutboundProcessor, private readonly scheduler: SchedulerRegistry, @Inject(LOGGER) private readonly logger: Logger) {}

  @Interval(NAME, RESUME_EVERY_MS)
  async resume(): Promise<void> {
    await this.processor.resumeParked().catch((error: unknown) => this.logger.warn({ err: error }, 'resuming parked events failed; will try again'));
  }

  beforeApplicationShutdown(): void {
    this.scheduler.deleteInterval(NAME);
  }
}
