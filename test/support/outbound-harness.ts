import { KafkaRuntime, TOPICS, kafkaRuntimeConfig, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { MetricsRegistry, type Logger } from '@connector/observability';
import { SalesforceOAuthClient } from '@connector/salesforce';
import { JournyEventsRuntime } from '../../apps/journy-events/src/journy-events-runtime';
import { loadJournyEventsConfig } from '../../apps/journy-events/src/journy-events.config';
import type { Store } from './ingest-harness';
import { uniqueName } from './stack-env';

/**
 * A journy-events app in this process (no HTTP), reading profile events published from now on; `join` adds a
 * further instance to a group that already runs (its offsets stay as they are).
 */
export async function startJournyEvents(store: Store, env: Record<string, string>, logger: Logger, options: { join?: boolean } = {}) {
  const config = loadJournyEventsConfig({ JOURNY_EVENTS_GROUP: uniqueName('journy-events'), JOURNY_EVENTS_QUOTA_PAUSE_MS: '1000', JOURNY_EVENTS_LINGER_MS: '50', ...env });
  const kafka = new KafkaRuntime(kafkaRuntimeConfig(config, { clientId: uniqueName('journy-events'), produces: [TOPICS.syncLog, TOPICS.connectionChanges, TOPICS.profileEvents], consumes: [TOPICS.profileEvents] }), logger);
  await kafka.start();
  if (!options.join) await startGroupAtEnd(kafka.kafka, config.JOURNY_EVENTS_GROUP, [TOPICS.profileEvents.name]);
  const metrics = new MetricsRegistry('journy-events', { defaultMetrics: false });
  const runtime = new JournyEventsRuntime({
    config, kafka, connections: store.connections, links: store.outboundLinks, recordLinks: store.links, apiUsage: store.apiUsage, metrics, logger, cipher: store.cipher,
    oauth: new SalesforceOAuthClient({ clientId: config.SALESFORCE_CLIENT_ID, clientSecret: config.SALESFORCE_CLIENT_SECRET, redirectUri: 'urn:test' }, { productionLoginUrl: config.SALESFORCE_LOGIN_URL, sandboxLoginUrl: config.SALESFORCE_SANDBOX_LOGIN_URL, insecureHosts: config.SALESFORCE_INSECURE_HOSTS }),
  });
  await runtime.start();
  const publish = async (events: { key: string; value: ProfileEvent }[]) => kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', events);
  const publishRaw = async (value: Buffer, key = 'poison') => kafka.producer.sendRaw(TOPICS.profileEvents.name, [{ key, value }]);
  return { runtime, kafka, metrics, config, publish, publishRaw, stop: async () => { await runtime.stop(); await kafka.stop(); } };
}
