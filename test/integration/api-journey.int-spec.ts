import { INestApplication } from '@nestjs/common';
import { KafkaRuntime, TOPICS } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ApiUsageRepository } from '@connector/persistence';
import { Writable } from 'node:stream';
import request from 'supertest';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { startApi } from '../support/api-app';
import { mintToken } from '../../apps/api/src/auth/jwt-verifier';
import { apiTestEnv, stackEnv, uniqueName } from '../support/stack-env';

describe('the whole API path: connect → configure → import → logs → disconnect, and tenant isolation', () => {
  let app: INestApplication;
  let emulator: SalesforceEmulator;
  const env = apiTestEnv();
  const owner = uniqueName('owner');
  const intruder = uniqueName('intruder');
  const logLines: string[] = [];
  const capture = new Writable({ write(chunk, _encoding, done) { logLines.push(chunk.toString()); done(); } });
  const auth = async (tenant: string) =>
    `Bearer ${await mintToken({ algorithm: 'HS256', key: env.JOURNY_JWT_KEY, issuer: 'journy.io', audience: 'salesforce-connector' }, { tenant, scopes: ['connector:read', 'connector:write'] })}`;
  let id: string;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true });
    const url = await emulator.start();
    const stack = stackEnv();
    const config = loadApiConfig({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, MONGODB_URI: stack.mongodbUri, ...env,
      SALESFORCE_LOGIN_URL: url, SALESFORCE_SANDBOX_LOGIN_URL: url, SALESFORCE_INSECURE_HOSTS: new URL(url).host, API_BODY_LIMIT: '2kb',
    });
    app = await startApi(config, createLogger({ name: 'api-test', level: 'info' }, capture));
  });
  afterAll(async () => {
    await app.close();
    await emulator.stop();
  });

  it('goes through the whole path over HTTP', async () => {
    const server = app.getHttpServer();
    const started = await request(server).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(owner)).send({ environment: 'sandbox' });
    const consent = await fetch(started.body.authorizeUrl, { redirect: 'manual' });
    const callback = await request(server).get(`/v1/oauth/salesforce/callback${new URL(consent.headers.get('location')!).search}`);
    expect(callback.status).toBe(200);
    id = callback.body.connection.id;
    expect(callback.body.connection.salesforce.environment).toBe('sandbox');

    const configured = await request(server).patch(`/v1/connections/${id}`).set('Authorization', await auth(owner)).send({ accountExternalIdField: 'Journy_Account_Id__c', source: { ongoingImport: true } });
    expect(configured.status).toBe(200);

    // The list carries each connection's API usage as the apps last saw it (the console needs no other request).
    await app.get(ApiUsageRepository).save({ tenantId: owner, connectionId: id, used: 1200, limit: 15_000, observedAt: new Date() });
    const listed = await request(server).get('/v1/connections').set('Authorization', await auth(owner));
    expect(listed.body.connections).toEqual([expect.objectContaining({ id, apiUsage: expect.objectContaining({ used: 1200, limit: 15_000, remaining: 13_800, paused: false }) })]);

    const importJob = await request(server).post(`/v1/connections/${id}/imports`).set('Authorization', await auth(owner));
    expect(importJob.status).toBe(201);

    // A sync-log record for this connection, as the ingest app would publish it, shows up in the log API.
    await app.get(KafkaRuntime).producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', [{
      key: `${owner}:${id}`,
      value: {
        logId: `${id}-1`, tenantId: owner, connectionId: id, occurredAt: Date.now(), direction: 'SALESFORCE_TO_JOURNY', mode: 'INITIAL_IMPORT',
        objectType: 'ACCOUNT', operation: 'UPSERT', status: 'SUCCEEDED', reason: null, message: null, error: null,
        journy: { userId: null, email: null, accountId: 'acc-1', domain: 'acme.example' }, salesforce: { objectType: 'Account', recordId: '0015g0000000001AAA' },
        fields: [], correlationId: null, attempt: 1, durationMs: 3,
      },
    }]);
    let logs: { logId: string }[] = [];
    for (let i = 0; i < 100 && logs.length === 0; i++) {
      logs = (await request(server).get(`/v1/connections/${id}/logs?accountId=acc-1`).set('Authorization', await auth(owner))).body.logs;
      if (logs.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(logs.map((l) => l.logId)).toEqual([`${id}-1`]);

    expect((await request(server).delete(`/v1/connections/${id}`).set('Authorization', await auth(owner))).status).toBe(204);
    // The log outlives the connection, until retention.
    const after = await request(server).get(`/v1/connections/${id}/logs`).set('Authorization', await auth(owner));
    expect(after.body.logs.map((l: { logId: string }) => l.logId)).toEqual([`${id}-1`]);
  });

  it("answers another tenant 404 (or nothing) on every endpoint of a connection, and changes nothing", async () => {
    const server = app.getHttpServer();
    const started = await request(server).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(owner)).send({ environment: 'production' });
    const consent = await fetch(started.body.authorizeUrl, { redirect: 'manual' });
    const connection = (await request(server).get(`/v1/oauth/salesforce/callback${new URL(consent.headers.get('location')!).search}`)).body.connection;
    const job = (await request(server).post(`/v1/connections/${connection.id}/imports`).set('Authorization', await auth(owner))).body;
    const matrix: [string, string, object?][] = [
      ['GET', `/v1/connections/${connection.id}`],
      ['PATCH', `/v1/connections/${connection.id}`, { name: 'stolen' }],
      ['DELETE', `/v1/connections/${connection.id}`],
      ['GET', `/v1/connections/${connection.id}/salesforce/objects/Account/fields`],
      ['GET', `/v1/connections/${connection.id}/imports`],
      ['POST', `/v1/connections/${connection.id}/imports`],
      ['GET', `/v1/connections/${connection.id}/imports/${job.id}`],
      ['POST', `/v1/connections/${connection.id}/imports/${job.id}/cancel`],
    ];
    for (const [method, path, body] of matrix) {
      const call = request(server)[method.toLowerCase() as 'get'](path).set('Authorization', await auth(intruder));
      const response = body ? await call.send(body) : await call;
      expect([method, path, response.status]).toEqual([method, path, 404]);
      expect(JSON.stringify(response.body)).not.toContain(connection.salesforce.orgId);
    }
    const foreignLogs = await request(server).get(`/v1/connections/${connection.id}/logs`).set('Authorization', await auth(intruder));
    expect({ status: foreignLogs.status, code: foreignLogs.body.error?.code, logs: foreignLogs.body.logs }).toEqual({ status: 404, code: 'CONNECTION_NOT_FOUND', logs: undefined });
    expect((await request(server).get('/v1/connections').set('Authorization', await auth(intruder))).body.connections).toEqual([]);
    const untouched = await request(server).get(`/v1/connections/${connection.id}`).set('Authorization', await auth(owner));
    expect(untouched.body).toMatchObject({ name: connection.name, revision: connection.revision });
    expect((await request(server).get(`/v1/connections/${connection.id}/imports/${job.id}`).set('Authorization', await auth(owner))).body.state).toBe('PENDING');
  });

  it('refuses oversized bodies with 413 in the error shape, and logs the same error id', async () => {
    const response = await request(app.getHttpServer())
      .post('/v1/connections/salesforce/authorize')
      .set('Authorization', await auth(owner))
      .send({ environment: 'production', myDomainUrl: `https://${'x'.repeat(4000)}.my.salesforce.com` });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const errorId = response.body.error.errorId as string;
    expect(logLines.some((line) => line.includes(errorId))).toBe(true);
  });
});
