import { INestApplication } from '@nestjs/common';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, NewConnection } from '@connector/persistence';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { startApi } from '../support/api-app';
import { mintToken, Scope } from '../../apps/api/src/auth/jwt-verifier';
import { apiTestEnv, stackEnv, uniqueName } from '../support/stack-env';

const KEY = randomBytes(32).toString('base64');
const JWT = { algorithm: 'HS256' as const, key: KEY, issuer: 'journy.io', audience: 'salesforce-connector' };

function connection(orgId: string): NewConnection {
  return {
    name: `Org ${orgId}`,
    org: { orgId, instanceUrl: 'https://acme.my.salesforce.com', loginUrl: 'https://login.salesforce.com', environment: 'production', integrationUserId: '005000000000001AAA', username: 'int@acme.com' },
    credentials: { accessToken: { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'c2VjcmV0' }, refreshToken: null, issuedAt: new Date(), scope: 'api' },
  };
}

describe('API authentication, error shape and tenant scoping (real store and broker)', () => {
  let app: INestApplication;
  const tenantA = uniqueName('tenant-a');
  const tenantB = uniqueName('tenant-b');
  const token = (tenant: string, scopes: Scope[] = ['connector:read', 'connector:write'], ttlSeconds?: number) => mintToken(JWT, { tenant, scopes, ttlSeconds });
  let ids: { a: string; b: string };

  beforeAll(async () => {
    const env = stackEnv();
    const config = loadApiConfig({
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: env.schemaRegistryUrl,
      MONGODB_URI: env.mongodbUri,
      ...apiTestEnv({ JOURNY_JWT_KEY: KEY, API_RATE_LIMIT_PER_MINUTE: '30' }),
    });
    app = await startApi(config, createLogger({ name: 'api-test', level: 'silent' }));
    const repository = app.get(ConnectionsRepository);
    ids = {
      a: (await repository.create(tenantA, connection('00D0000000000AAEAA'))).id,
      b: (await repository.create(tenantB, connection('00D0000000000BBEAA'))).id,
    };
  });
  afterAll(() => app.close());

  it('refuses calls without a valid token with 401 in the error shape', async () => {
    const missing = await request(app.getHttpServer()).get('/v1/connections');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'a bearer token is required', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });

    const forged = await mintToken({ ...JWT, key: randomBytes(32).toString('base64') }, { tenant: tenantA, scopes: ['connector:read'] });
    const bad = await request(app.getHttpServer()).get('/v1/connections').set('Authorization', `Bearer ${forged}`);
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('INVALID_TOKEN');

    const expired = await token(tenantA, ['connector:read'], -120);
    const old = await request(app.getHttpServer()).get('/v1/connections').set('Authorization', `Bearer ${expired}`);
    expect(old.status).toBe(401);
    expect(old.body.error.message).toBe('invalid token: token expired');
  });

  it('answers 403 when the token lacks the scope', async () => {
    const noScope = await request(app.getHttpServer()).get('/v1/connections').set('Authorization', `Bearer ${await token(tenantA, [])}`);
    expect(noScope.status).toBe(403);
    expect(noScope.body.error.code).toBe('INSUFFICIENT_SCOPE');
  });

  it("scopes every read to the caller's tenant: another tenant's connection is a 404, never its data", async () => {
    const server = app.getHttpServer();
    const listA = await request(server).get('/v1/connections').set('Authorization', `Bearer ${await token(tenantA)}`);
    expect(listA.status).toBe(200);
    expect(listA.body.connections.map((c: { id: string }) => c.id)).toEqual([ids.a]);
    expect(JSON.stringify(listA.body)).not.toContain('c2VjcmV0');
    expect(listA.body.connections[0]).not.toHaveProperty('credentials');

    const own = await request(server).get(`/v1/connections/${ids.a}`).set('Authorization', `Bearer ${await token(tenantA)}`);
    expect(own.status).toBe(200);
    expect(own.body.salesforce.orgId).toBe('00D0000000000AAEAA');
    const foreign = await request(server).get(`/v1/connections/${ids.b}`).set('Authorization', `Bearer ${await token(tenantA)}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: 'CONNECTION_NOT_FOUND' });
    expect(JSON.stringify(foreign.body)).not.toContain('00D0000000000BBEAA');
    const unknown = await request(server).get('/v1/connections/not-an-id').set('Authorization', `Bearer ${await token(tenantA)}`);
    expect(unknown.status).toBe(404);
  });

  it('keeps health and metrics public', async () => {
    const health = await request(app.getHttpServer()).get('/health/live');
    expect(health.status).toBe(200);
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.status).toBe(200);
  });

  it('serves its OpenAPI document, with request schemas from the validating code', async () => {
    const spec = await request(app.getHttpServer()).get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/connections', '/v1/connections/{connectionId}/logs', '/v1/oauth/salesforce/callback']));
    const settingsPatch = spec.body.paths['/v1/connections/{connectionId}'].patch.requestBody.content['application/json'].schema;
    expect(settingsPatch.properties.destination.properties.contactMappings.items.required).toEqual(['journyProperty', 'journyType', 'salesforceField']);
  });

  it('limits requests per tenant with 429 and Retry-After, without touching other tenants', async () => {
    const busy = uniqueName('busy');
    const server = app.getHttpServer();
    const header = `Bearer ${await token(busy)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await request(server).get('/v1/connections').set('Authorization', header)).status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30);
    expect(statuses).toContain(429);
    const limited = await request(server).get('/v1/connections').set('Authorization', header);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect((await request(server).get('/v1/connections').set('Authorization', `Bearer ${await token(uniqueName('calm'))}`)).status).toBe(200);
  });
});
