import { ConfigError } from '@connector/config';
import { loadJournyEventsConfig } from './journy-events.config';
import { REQUIRED_APP_ENV as required } from '../../../test/support/app-env';

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
