import { Inject, Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { LOGGER, type Logger } from '@connector/observability';
import { OutboundProcessor, RESUME_EVERY_MS } from './outbound-processor';

/** Tries parked events again (a paused or failing connection that may be back). */
@Injectable()
export class ParkedEventsSchedule {
  constructor(private readonly processor: OutboundProcessor, @Inject(LOGGER) private readonly logger: Logger) {}

  @Interval('resume-parked-events', RESUME_EVERY_MS)
  async resume(): Promise<void> {
    await this.processor.resumeParked().catch((error: unknown) => this.logger.warn({ err: error }, 'resuming parked events failed; will try again'));
  }
}
