import { INestApplication } from '@nestjs/common';
import { KafkaRuntime, TOPICS } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, NewConnection } from '@connector/persistence';
import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import request from 'supertest';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { mintToken } from '../../apps/api/src/auth/jwt-verifier';
import { startApi } from '../support/api-app';
import { apiTestEnv, stackEnv, uniqueName } from '../support/stack-env';

const KEY = randomBytes(32).toString('base64');
const JWT = { algorithm: 'HS256' as const, key: KEY, issuer: 'journy.io', audience: 'salesforce-connector' };
const ERROR = { error: { code: expect.any(String), message: expect.any(String), errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) } };

function connection(orgId: string): NewConnection {
  return {
    name: `Org ${orgId}`,
    org: { orgId, instanceUrl: 'https://acme.my.salesforce.com', loginUrl: 'https://login.salesforce.com', environment: 'production', integrationUserId: '005000000000001AAA', username: 'int@acme.com' },
    credentials: { accessToken: { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'c2VjcmV0' }, refreshToken: null, issuedAt: new Date(), scope: 'api' },
  };
}

describe('the API contract: media types, text, no-op patches, tenant checks, cursors, methods, slow bodies', () => {
  let app: INestApplication;
  let auth: string;
  let otherAuth: string;
  let id: string;
  let foreignId: string;
  const tenant = uniqueName('tenant-contract');
  const other = uniqueName('tenant-other');

  beforeAll(async () => {
    const env = stackEnv();
    const config = loadApiConfig({
      KAFKA_BROKERS: env.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: env.schemaRegistryUrl, MONGODB_URI: env.mongodbUri,
      ...apiTestEnv({ JOURNY_JWT_KEY: KEY, API_RATE_LIMIT_PER_MINUTE: '1000', API_BODY_TIMEOUT_MS: '1000' }),
    });
    app = await startApi(config, createLogger({ name: 'api-test', level: 'silent' }), { ownLogs: true });
    await app.listen(0, '127.0.0.1');
    auth = `Bearer ${await mintToken(JWT, { tenant, scopes: ['connector:read', 'connector:write'] })}`;
    otherAuth = `Bearer ${await mintToken(JWT, { tenant: other, scopes: ['connector:read', 'connector:write'] })}`;
    id = (await app.get(ConnectionsRepository).create(tenant, connection('00D0000000000CCEAA'))).id;
    foreignId = (await app.get(ConnectionsRepository).create(other, connection('00D0000000000DDEAA'))).id;
  });
  afterAll(() => app.close());

  const patch = () => request(app.getHttpServer()).patch(`/v1/connections/${id}`).set('Authorization', auth);
  const revision = async () => (await app.get(ConnectionsRepository).findById(tenant, id))!.revision;
  const changesPublished = async () => {
    const admin = app.get(KafkaRuntime).kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(TOPICS.connectionChanges.name);
      return offsets.reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };

  it('refuses bodies that are not JSON with 415, and changes nothing', async () => {
    const before = await revision();
    for (const [type, body] of [['text/plain', '{"name":"x"}'], ['application/x-www-form-urlencoded', 'name=x'], ['application/xml', '<name>x</name>'], ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--']]) {
      const answer = await patch().set('Content-Type', type).send(body);
      expect({ type, status: answer.status, body: answer.body }).toEqual({ type, status: 415, body: ERROR });
      expect(answer.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const untyped = await fetch(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v1/connections/${id}`, { method: 'PATCH', headers: { authorization: auth }, body: new Uint8Array(Buffer.from('{"name":"x"}')) });
    expect(untyped.status).toBe(415);
    expect(await revision()).toBe(before);
  });

  it('needs the body a route requires: none is a 400 naming the body', async () => {
    const empty = await patch().set('Content-Type', 'application/json');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: '(body)' });
  });

  it('refuses text a store would not keep as sent, naming the field: bytes that are not UTF-8, NUL, lone surrogates', async () => {
    const invalidUtf8 = Buffer.concat([Buffer.from('{"name":"ab'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const bytes = await fetch(`http://127.0.0.1:${port}/v1/connections/${id}`, { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/json' }, body: new Uint8Array(invalidUtf8) });
    expect(bytes.status).toBe(400);
    expect(((await bytes.json()) as { error: unknown }).error).toMatchObject({ code: 'INVALID_REQUEST', field: 'name' });
    const nul = await patch().set('Content-Type', 'application/json').send('{"destination":{"userSegments":["ok","a\\u0000b"]}}');
    expect(nul.status).toBe(400);
    expect(nul.body.error).toMatchObject({ field: 'destination.userSegments[1]' });
    const surrogate = await patch().set('Content-Type', 'application/json').send('{"name":"x\\ud800"}');
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.error).toMatchObject({ field: 'name' });
    const pair = await patch().send({ name: 'Org 😀' });
    expect(pair.status).toBe(200);
    expect(pair.body.name).toBe('Org 😀');
  });

  it('a patch that changes nothing bumps no revision and publishes nothing; a real change does both', async () => {
    const current = await revision();
    const published = await changesPublished();
    const stored = (await app.get(ConnectionsRepository).findById(tenant, id))!;
    for (const body of [{}, { name: stored.name }, { enabled: stored.enabled }, { source: { ongoingImport: stored.settings.source.ongoingImport } }, { destination: { userSegments: stored.settings.destination.userSegments } }]) {
      const answer = await patch().send(body);
      expect({ body, status: answer.status, revision: answer.body.revision }).toEqual({ body, status: 200, revision: current });
    }
    expect(await changesPublished()).toBe(published);
    const stale = await patch().send({ expectedRevision: current + 5 });
    expect(stale.status).toBe(409);
    const changed = await patch().send({ name: 'Org renamed', expectedRevision: current });
    expect(changed.body.revision).toBe(current + 1);
    expect(await changesPublished()).toBe(published + 1);
  });

  it('answers 404 on the log routes for a connection of another tenant, or any id that is not one', async () => {
    for (const path of [`${foreignId}/logs`, `${foreignId}/logs/timeline?userId=u1`, 'con_ffffffffffffffffffffffff/logs', '%24ne/logs', `${'x'.repeat(10_000)}/logs`]) {
      const answer = await request(app.getHttpServer()).get(`/v1/connections/${path}`).set('Authorization', auth);
      expect({ path: path.slice(0, 40), status: answer.status, code: answer.body.error?.code }).toEqual({ path: path.slice(0, 40), status: 404, code: 'CONNECTION_NOT_FOUND' });
    }
    const own = await request(app.getHttpServer()).get(`/v1/connections/${foreignId}/logs`).set('Authorization', otherAuth);
    expect(own.status).toBe(200);
  });

  it('refuses a crafted cursor with 400, and accepts the filters its document lists', async () => {
    const crafted = [Buffer.from(JSON.stringify([1e20, 'log_x'])).toString('base64url'), `${'9'.repeat(21)}.bG9nX3g`, '1e20.bG9n', 'now.bG9n', '1.', '.bG9n', '1.a', `1.${'a'.repeat(300)}`];
    for (const value of crafted) {
      const cursor = encodeURIComponent(value);
      const answer = await request(app.getHttpServer()).get(`/v1/connections/${id}/logs?cursor=${cursor}`).set('Authorization', auth);
      expect({ value, status: answer.status, field: answer.body.error?.field }).toEqual({ value, status: 400, field: 'cursor' });
    }
    const filtered = await request(app.getHttpServer()).get(`/v1/connections/${id}/logs?operation=UPSERT&email=a&limit=5`).set('Authorization', auth);
    expect(filtered.status).toBe(200);
    expect(filtered.body).toEqual({ logs: [], nextCursor: null });
  });

  it('answers 405 with Allow for a method the path does not have, TRACE included; OPTIONS lists them', async () => {
    const trace = await request(app.getHttpServer()).trace(`/v1/connections/${id}`).set('Authorization', auth);
    expect(trace.status).toBe(405);
    const put = await request(app.getHttpServer()).put(`/v1/connections/${id}`).set('Authorization', auth).send({});
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, PATCH, DELETE, HEAD, OPTIONS');
    expect(put.body).toEqual(ERROR);
    const options = await request(app.getHttpServer()).options('/v1/connections/salesforce/authorize');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('POST, OPTIONS');
    const unknown = await request(app.getHttpServer()).get('/v1/nowhere').set('Authorization', auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(ERROR);
    const badEscape = await request(app.getHttpServer()).get('/v1/connections/%E0%A4%A').set('Authorization', auth);
    expect({ status: badEscape.status, body: badEscape.body }).toEqual({ status: expect.any(Number), body: ERROR });
    expect([400, 404]).toContain(badEscape.status);
  });

  it('answers a request Node cannot parse in the error shape too', async () => {
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /v1/connections HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'MALFORMED_REQUEST', errorId: expect.any(String) } });
  });

  it('times out a body that does not arrive: 408 in the error shape, then the connection closes', async () => {
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`PATCH /v1/connections/${id} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"name":`);
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual(ERROR);
    expect(await revision()).toBeGreaterThan(0);
  });
});
