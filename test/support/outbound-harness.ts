import { NestFactory } from '@nestjs/core';
import { ApiQuota } from '@connector/org-access';
import { KafkaRuntime, TOPICS, connectAvroTransport, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { MetricsRegistry, type Logger } from '@connector/observability';
import { loadJournyEventsConfig } from '../../apps/journy-events/src/journy-events.config';
import { JournyEventsModule } from '../../apps/journy-events/src/journy-events.module';
import { OutboundHealth } from '../../apps/journy-events/src/outbound/outbound.health';
import type { Store } from './ingest-harness';
import { uniqueName } from './stack-env';

/**
 * The journy-events app in this process: its Nest module and Kafka transport as main starts them (no HTTP
 * listener), on the store's database, reading profile events published from now on; `join` adds a further
 * instance to a group that already runs (its offsets stay as they are).
 */
export async function startJournyEvents(store: Store, env: Record<string, string>, logger: Logger, options: { join?: boolean } = {}) {
  const config = loadJournyEventsConfig({
    JOURNY_EVENTS_GROUP: uniqueName('journy-events'), JOURNY_EVENTS_QUOTA_PAUSE_MS: '1000', JOURNY_EVENTS_LINGER_MS: '50', KAFKA_CLIENT_ID: uniqueName('journy-events'),
    ...env, MONGODB_URI: store.uri,
  });
  const app = await NestFactory.create(JournyEventsModule.forRoot(config, logger, { defaultMetrics: false }), { logger: false, abortOnError: false });
  connectAvroTransport(app);
  await app.init();
  const kafka = app.get(KafkaRuntime);
  if (!options.join) await startGroupAtEnd(kafka.kafka, config.JOURNY_EVENTS_GROUP, [TOPICS.profileEvents.name]);
  await app.startAllMicroservices();
  const health = app.get(OutboundHealth);
  const publish = async (events: { key: string; value: ProfileEvent }[]) => kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', events);
  const publishRaw = async (value: Buffer, key = 'poison') => kafka.producer.sendRaw(TOPICS.profileEvents.name, [{ key, value }]);
  return {
    app, kafka, config, publish, publishRaw,
    metrics: app.get(MetricsRegistry),
    runtime: { health: () => health.check(), quota: app.get(ApiQuota) },
    stop: () => app.close(),
  };
}
