import { ConfigError } from '@connector/config';
import { loadJournyEventsConfig } from './journy-events.config';

const required = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/connector',
  TOKEN_ENCRYPTION_KEYS: 'k1:' + Buffer.alloc(32, 7).toString('base64'),
  SALESFORCE_CLIENT_ID: 'id',
  SALESFORCE_CLIENT_SECRET: 'secret',
};

describe('journy-events configuration', () => {
  it('gives connections still applying a rebalance grace of 5 s by default', () => {
    expect(loadJournyEventsConfig(required).JOURNY_EVENTS_REBALANCE_GRACE_MS).toBe(5000);
    expect(loadJournyEventsConfig({ ...required, JOURNY_EVENTS_REBALANCE_GRACE_MS: '0' }).JOURNY_EVENTS_REBALANCE_GRACE_MS).toBe(0);
  });

  it('refuses a grace longer than the session timeout, naming the variable', () => {
    expect(() => loadJournyEventsConfig({ ...required, JOURNY_EVENTS_SESSION_TIMEOUT_MS: '10000', JOURNY_EVENTS_REBALANCE_GRACE_MS: '12000' }))
      .toThrow(new ConfigError(['JOURNY_EVENTS_REBALANCE_GRACE_MS must be at most JOURNY_EVENTS_SESSION_TIMEOUT_MS (half the group\'s rebalance timeout)']));
  });
});
