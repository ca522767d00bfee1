import { HealthRegistry } from './health';

describe('HealthRegistry', () => {
  it('is up only when every dependency is up, and says which is down and why', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'kafka', check: async () => ({ status: 'up' }) });
    registry.register({ name: 'mongodb', check: async () => { throw new Error('connection refused'); } });
    registry.register({ name: 'slow', check: () => new Promise(() => undefined) });
    const report = await registry.report(50);
    expect(report.status).toBe('down');
    expect(report.checks.kafka.status).toBe('up');
    expect(report.checks.mongodb).toEqual({ status: 'down', details: { reason: 'connection refused' } });
    expect(report.checks.slow.details?.reason).toBe('no answer within 50 ms');
  });
});
