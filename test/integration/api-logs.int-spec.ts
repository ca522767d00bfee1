import { INestApplication } from '@nestjs/common';
import { KafkaRuntime, SyncLogRecord, TOPICS } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { SyncLogsRepository } from '@connector/persistence';
import request from 'supertest';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { startApi } from '../support/api-app';
import { mintToken } from '../../apps/api/src/auth/jwt-verifier';
import { SyncLogRetention } from '../../apps/api/src/logs/sync-log.retention';
import { apiTestEnv, stackEnv, uniqueName } from '../support/stack-env';

describe('sync logs: sink and queries (real broker, registry and store)', () => {
  let app: INestApplication;
  const env = apiTestEnv();
  const tenant = uniqueName('tenant-logs');
  const connectionId = `con_${'a'.repeat(24)}`;
  const auth = async (tenantId = tenant) =>
    `Bearer ${await mintToken({ algorithm: 'HS256', key: env.JOURNY_JWT_KEY, issuer: 'journy.io', audience: 'salesforce-connector' }, { tenant: tenantId, scopes: ['connector:read'] })}`;

  const base = Date.parse('2026-11-28T10:00:00Z');
  function record(n: number, overrides: Partial<SyncLogRecord> = {}): SyncLogRecord {
    return {
      logId: `${tenant}-log-${n}`,
      tenantId: tenant,
      connectionId,
      occurredAt: base + n * 1000,
      direction: n % 2 === 0 ? 'JOURNY_TO_SALESFORCE' : 'SALESFORCE_TO_JOURNY',
      mode: 'LIVE',
      objectType: 'USER',
      operation: 'UPDATE',
      status: n % 5 === 0 ? 'FAILED' : 'SUCCEEDED',
      reason: n % 5 === 0 ? 'SALESFORCE_REJECTED' : null,
      message: null,
      error: n % 5 === 0 ? { code: 'STRING_TOO_LONG', message: 'Title: data value too large', fields: ['Title'] } : null,
      journy: { userId: `u-${n % 3}`, email: `person${n % 3}@example.com`, accountId: null, domain: null },
      salesforce: { objectType: 'Contact', recordId: null },
      fields: [{ name: 'Title', source: 'job_title', value: `v${n}` }],
      correlationId: null,
      attempt: 1,
      durationMs: 10,
      ...overrides,
    };
  }

  beforeAll(async () => {
    const stack = stackEnv();
    const config = loadApiConfig({ KAFKA_BROKERS: stack.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, MONGODB_URI: stack.mongodbUri, ...env });
    app = await startApi(config, createLogger({ name: 'api-test', level: 'silent' }), { ownLogs: true });
    const kafka = app.get(KafkaRuntime);
    const records = Array.from({ length: 12 }, (_, i) => record(i + 1));
    await kafka.producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', records.map((value) => ({ key: `${tenant}:${connectionId}`, value })));
    // At-least-once: the same record delivered again must not be stored twice.
    await kafka.producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', [{ key: `${tenant}:${connectionId}`, value: records[0] }]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await app.get(SyncLogsRepository).query(tenant, connectionId, {}, 200);
      if (page.entries.length >= 12 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  afterAll(() => app.close());

  const get = async (query: string, tenantId = tenant) => request(app.getHttpServer()).get(`/v1/connections/${connectionId}/logs${query}`).set('Authorization', await auth(tenantId));

  it('stores every record once and lists them newest first with cursor pagination', async () => {
    const first = await get('?limit=5');
    expect(first.status).toBe(200);
    expect(first.body.logs.map((l: { logId: string }) => l.logId)).toEqual([12, 11, 10, 9, 8].map((n) => `${tenant}-log-${n}`));
    const seen = [...first.body.logs];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await get(`?limit=5&cursor=${cursor}`);
      seen.push(...page.body.logs);
      cursor = page.body.nextCursor;
    }
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((l) => l.logId)).size).toBe(12);
    expect(seen[0].occurredAt).toBe(new Date(base + 12_000).toISOString());
  });

  it('filters by direction, status, reason, time range and record', async () => {
    const failed = await get('?status=FAILED');
    expect(failed.body.logs.map((l: { logId: string }) => l.logId)).toEqual([10, 5].map((n) => `${tenant}-log-${n}`));
    expect(failed.body.logs[0].error).toEqual({ code: 'STRING_TOO_LONG', message: 'Title: data value too large', fields: ['Title'] });
    const rejected = await get('?reason=SALESFORCE_REJECTED');
    expect(rejected.body.logs.map((l: { logId: string }) => l.logId)).toEqual([10, 5].map((n) => `${tenant}-log-${n}`));
    expect((await get('?reason=NOT_IN_SEGMENT')).body.logs).toHaveLength(0);
    expect((await get('?reason=not-a-code')).body.error.field).toBe('reason');
    const outbound = await get('?direction=JOURNY_TO_SALESFORCE');
    expect(outbound.body.logs).toHaveLength(6);
    const window = await get(`?from=${new Date(base + 3000).toISOString()}&to=${new Date(base + 6000).toISOString()}`);
    expect(window.body.logs.map((l: { logId: string }) => l.logId)).toEqual([5, 4, 3].map((n) => `${tenant}-log-${n}`));
    const byEmail = await get('?email=PERSON1@example.com');
    expect(byEmail.body.logs).toHaveLength(4);
    const bad = await get('?status=MAYBE');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('status');
    expect((await get('?cursor=garbage')).body.error.field).toBe('cursor');
  });

  it("shows one record's timeline across both directions, oldest first", async () => {
    const response = await request(app.getHttpServer()).get(`/v1/connections/${connectionId}/logs/timeline?userId=u-2`).set('Authorization', await auth());
    expect(response.body.entries.map((l: { logId: string }) => l.logId)).toEqual([2, 5, 8, 11].map((n) => `${tenant}-log-${n}`));
    expect(new Set(response.body.entries.map((l: { direction: string }) => l.direction))).toEqual(new Set(['JOURNY_TO_SALESFORCE', 'SALESFORCE_TO_JOURNY']));
  });

  it("never shows another tenant's log: its connection id is unknown there (404)", async () => {
    const other = await get('', uniqueName('other-tenant'));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('CONNECTION_NOT_FOUND');
    expect(JSON.stringify(other.body)).not.toContain('logId');
  });

  it('removes entries past the retention window', async () => {
    const logs = app.get(SyncLogsRepository);
    await logs.insertMany([{ ...record(99), occurredAt: new Date(Date.now() - 40 * 86_400_000), logId: `${tenant}-old` } as never]);
    expect((await logs.timeline(tenant, connectionId, { kind: 'user', value: 'u-0' })).some((e) => e.logId === `${tenant}-old`)).toBe(true);
    expect(await app.get(SyncLogRetention).sweep()).toBeGreaterThanOrEqual(1);
    expect((await logs.timeline(tenant, connectionId, { kind: 'user', value: 'u-0' })).some((e) => e.logId === `${tenant}-old`)).toBe(false);
  });
});
