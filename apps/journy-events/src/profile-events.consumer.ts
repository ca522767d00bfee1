import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AvroBatchContext, RethrowToConsumer, TOPICS, type ConsumedMessage } from '@connector/kafka';
import type { ProfileEvent } from './model/profile-event';
import { OutboundProcessor } from './outbound/outbound-processor';

/** journy's profile events, a partition's batch at a time, applied to each tenant's Salesforce connections. */
@Controller()
@UseFilters(RethrowToConsumer)
export class ProfileEventsConsumer {
  constructor(private readonly processor: OutboundProcessor) {}

  @EventPattern(TOPICS.profileEvents.name)
  handle(@Payload() events: ConsumedMessage<ProfileEvent>[], @Ctx() context: AvroBatchContext): Promise<void> {
    return this.processor.handleBatch(events, { heartbeat: () => context.heartbeat(), rebalancing: context.rebalancing });
  }
}
