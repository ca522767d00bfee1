import { INestApplication } from '@nestjs/common';
import { KafkaRuntime, TOPICS } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { MONGO_CONNECTION, TokenCipher } from '@connector/persistence';
import type { Connection as MongoConnection } from 'mongoose';
import { Writable } from 'node:stream';
import request from 'supertest';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { startApi } from '../support/api-app';
import { mintToken } from '../../apps/api/src/auth/jwt-verifier';
import { apiTestEnv, stackEnv, uniqueName } from '../support/stack-env';

describe('connecting a Salesforce org through the API (real OAuth against the emulator, real store and broker)', () => {
  let app: INestApplication;
  let emulator: SalesforceEmulator;
  const env = apiTestEnv();
  const tenant = uniqueName('tenant');
  // Every line the API logs during these tests, to prove no token or email reaches the logs.
  const logLines: string[] = [];
  const capture = new Writable({ write(chunk, _encoding, done) { logLines.push(chunk.toString()); done(); } });
  const auth = async (tenantId = tenant) =>
    `Bearer ${await mintToken({ algorithm: 'HS256', key: env.JOURNY_JWT_KEY, issuer: 'journy.io', audience: 'salesforce-connector' }, { tenant: tenantId, scopes: ['connector:read', 'connector:write'] })}`;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true });
    const url = await emulator.start();
    const stack = stackEnv();
    const config = loadApiConfig({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      MONGODB_URI: stack.mongodbUri,
      ...env,
      SALESFORCE_LOGIN_URL: url,
      SALESFORCE_SANDBOX_LOGIN_URL: url,
      SALESFORCE_INSECURE_HOSTS: new URL(url).host,
      API_RETURN_URL_ORIGINS: 'https://app.journy.example',
    });
    app = await startApi(config, createLogger({ name: 'api-test', level: 'debug' }, capture));
  });
  afterAll(async () => {
    await app.close();
    await emulator.stop();
    // After connect, reconnect, refresh, revoke and disconnect: the logs hold no token, secret or email in clear.
    const text = logLines.join('');
    expect(logLines.length).toBeGreaterThan(5);
    expect(text).not.toMatch(/00D[A-Za-z0-9]{12}![A-Za-z0-9._-]{10,}/);
    expect(text).not.toContain(env.SALESFORCE_CLIENT_SECRET);
    expect(text).not.toContain('integration@journy-demo.example');
    expect(text).not.toMatch(/code_verifier|refresh_token=/);
  });

  /** What a browser does: follow the authorize URL to Salesforce, come back to the callback with its query. */
  async function consent(authorizeUrl: string): Promise<string> {
    const response = await fetch(authorizeUrl, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    return location.search;
  }

  async function start(tenantId = tenant): Promise<string> {
    const started = await request(app.getHttpServer()).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(tenantId)).send({ environment: 'production' });
    expect(started.status).toBe(200);
    return started.body.authorizeUrl as string;
  }

  it('connects an org: the callback creates the connection, tokens encrypted at rest, a CREATED change published', async () => {
    const authorizeUrl = await start();
    const url = new URL(authorizeUrl);
    expect(url.origin).toBe(emulator.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const callbackQuery = await consent(authorizeUrl);
    const callback = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${callbackQuery}`);
    expect(callback.status).toBe(200);
    expect(callback.body.created).toBe(true);
    const connection = callback.body.connection;
    expect(connection.salesforce).toMatchObject({ orgId: emulator.org.orgId, instanceUrl: emulator.url, environment: 'production', username: 'integration@journy-demo.example' });
    expect(JSON.stringify(callback.body)).not.toMatch(/00D[A-Za-z0-9]{12}!/);

    // At rest: no token in clear; the stored ciphertext decrypts (bound to this connection) to a working token.
    const stored = await app.get<MongoConnection>(MONGO_CONNECTION).collection('connections').findOne({ _id: connection.id as never });
    expect(JSON.stringify(stored)).not.toMatch(/00D[A-Za-z0-9]{12}!/);
    const accessToken = app.get(TokenCipher).decrypt(stored!.credentials.accessToken, connection.id);
    const limits = await fetch(`${emulator.url}/services/data/v62.0/limits`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(limits.status).toBe(200);

    // The change is on Kafka for the other apps.
    const kafka = app.get(KafkaRuntime);
    const consumer = kafka.kafka.consumer({ groupId: uniqueName('it-changes') });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.connectionChanges.name, fromBeginning: true });
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() !== connection.id || !message.value) return;
          seen.push(await kafka.serde.decode(message.value));
          resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen[0]).toMatchObject({ connectionId: connection.id, tenantId: tenant, kind: 'CREATED', enabled: true });

    // The same org again updates the connection instead of creating a second one.
    const again = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${await consent(await start())}`);
    expect(again.body).toMatchObject({ created: false, connection: { id: connection.id } });
    const list = await request(app.getHttpServer()).get('/v1/connections').set('Authorization', await auth());
    expect(list.body.connections).toHaveLength(1);
  });

  it('refuses a replayed, forged or denied callback and creates nothing', async () => {
    const other = uniqueName('tenant-other');
    const query = await consent(await start(other));
    expect((await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${query}`)).status).toBe(200);
    const replay = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${query}`);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('INVALID_STATE');

    const forged = await request(app.getHttpServer()).get('/v1/oauth/salesforce/callback?code=x&state=a.b.9999999999999.c');
    expect(forged.body.error.code).toBe('INVALID_STATE');

    const denied = uniqueName('tenant-denied');
    const state = new URL(await start(denied)).searchParams.get('state')!;
    const refusal = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback?error=access_denied&error_description=end-user+denied+authorization&state=${encodeURIComponent(state)}`);
    expect(refusal.status).toBe(400);
    expect(refusal.body.error).toMatchObject({ code: 'SALESFORCE_ACCESS_DENIED', message: 'Salesforce did not grant access: end-user denied authorization' });
    const none = await request(app.getHttpServer()).get('/v1/connections').set('Authorization', await auth(denied));
    expect(none.body.connections).toEqual([]);
  });

  it("sends the person back to journy's web app when asked to, and only to an allowed origin", async () => {
    const server = app.getHttpServer();
    const tenantR = uniqueName('tenant-return');
    const started = await request(server).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(tenantR)).send({ environment: 'production', returnUrl: 'https://app.journy.example/settings/salesforce?tab=connection' });
    expect(started.status).toBe(200);
    const callback = await request(server).get(`/v1/oauth/salesforce/callback${await consent(started.body.authorizeUrl)}`);
    expect(callback.status).toBe(302);
    const back = new URL(callback.headers.location);
    expect(back.origin + back.pathname).toBe('https://app.journy.example/settings/salesforce');
    expect(back.searchParams.get('tab')).toBe('connection');
    expect(back.searchParams.get('status')).toBe('connected');
    expect(back.searchParams.get('connectionId')).toMatch(/^con_/);

    const deniedStart = await request(server).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(tenantR)).send({ environment: 'production', returnUrl: 'https://app.journy.example/back' });
    const state = new URL(deniedStart.body.authorizeUrl).searchParams.get('state')!;
    const denied = await request(server).get(`/v1/oauth/salesforce/callback?error=access_denied&error_description=no&state=${encodeURIComponent(state)}`);
    expect(denied.status).toBe(302);
    expect(new URL(denied.headers.location).searchParams.get('error')).toBe('SALESFORCE_ACCESS_DENIED');

    const open = await request(server).post('/v1/connections/salesforce/authorize').set('Authorization', await auth(tenantR)).send({ environment: 'production', returnUrl: 'https://evil.example/steal' });
    expect(open.status).toBe(400);
    expect(open.body.error.field).toBe('returnUrl');
  });

  it('validates the start request, naming the field', async () => {
    const unknownField = await request(app.getHttpServer()).post('/v1/connections/salesforce/authorize').set('Authorization', await auth()).send({ environment: 'production', extra: 1 });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'extra' });
    const badEnvironment = await request(app.getHttpServer()).post('/v1/connections/salesforce/authorize').set('Authorization', await auth()).send({ environment: 'moon' });
    expect(badEnvironment.body.error.field).toBe('environment');
    const foreignDomain = await request(app.getHttpServer()).post('/v1/connections/salesforce/authorize').set('Authorization', await auth()).send({ environment: 'custom', myDomainUrl: 'https://evil.example' });
    expect(foreignDomain.status).toBe(400);
    expect(foreignDomain.body.error.code).toBe('INVALID_SALESFORCE_URL');
  });

  it('disconnects: revokes the grant at Salesforce, deletes the connection, publishes the deletion; other tenants get 404', async () => {
    const owner = uniqueName('tenant-disc');
    const connected = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${await consent(await start(owner))}`);
    const id = connected.body.connection.id as string;
    const stored = await app.get<MongoConnection>(MONGO_CONNECTION).collection('connections').findOne({ _id: id as never });
    const refreshToken = app.get(TokenCipher).decrypt(stored!.credentials.refreshToken, id);

    const intruder = await request(app.getHttpServer()).delete(`/v1/connections/${id}`).set('Authorization', await auth(uniqueName('intruder')));
    expect(intruder.status).toBe(404);

    const removed = await request(app.getHttpServer()).delete(`/v1/connections/${id}`).set('Authorization', await auth(owner));
    expect(removed.status).toBe(204);
    expect((await request(app.getHttpServer()).get(`/v1/connections/${id}`).set('Authorization', await auth(owner))).status).toBe(404);
    const refresh = await fetch(`${emulator.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: env.SALESFORCE_CLIENT_ID, client_secret: env.SALESFORCE_CLIENT_SECRET }),
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  describe('settings and field discovery', () => {
    let id: string;
    const owner = uniqueName('tenant-settings');
    const patch = async (body: unknown) => request(app.getHttpServer()).patch(`/v1/connections/${id}`).set('Authorization', await auth(owner)).send(body as object);

    beforeAll(async () => {
      const connected = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${await consent(await start(owner))}`);
      id = connected.body.connection.id;
    });

    it('lists mappable fields with their types and flags, from live describe metadata', async () => {
      const response = await request(app.getHttpServer()).get(`/v1/connections/${id}/salesforce/objects/Account/fields`).set('Authorization', await auth(owner));
      expect(response.status).toBe(200);
      const byName = Object.fromEntries(response.body.fields.map((f: { name: string }) => [f.name, f]));
      expect(byName.Journy_Account_Id__c).toMatchObject({ type: 'string', externalId: true, canServeAsAccountId: true, mappable: true });
      expect(byName.Name).toMatchObject({ canServeAsAccountId: false, mappable: true });
      expect(byName.Id).toMatchObject({ mappable: false, accepts: [] });
      expect(byName.Health_Score__c.accepts).toEqual(['number']);
      expect((await request(app.getHttpServer()).get(`/v1/connections/${id}/salesforce/objects/Lead/fields`).set('Authorization', await auth(owner))).status).toBe(404);
    });

    it('saves valid settings of the three tabs, with the field names as Salesforce spells them', async () => {
      const response = await patch({
        name: 'Production org',
        accountExternalIdField: 'journy_account_id__c',
        source: { ongoingImport: true },
        destination: {
          userSegments: ['seg-active'],
          createContacts: true,
          contactMappings: [
            { journyProperty: 'engagement', journyType: 'number', salesforceField: 'Engagement_Score__c' },
            { journyProperty: 'segments', journyType: 'string_array', salesforceField: 'interests__c' },
          ],
          accountMappings: [{ journyProperty: 'stage', journyType: 'string', salesforceField: 'Lifecycle_Stage__c' }],
        },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ name: 'Production org', revision: 2 });
      expect(response.body.settings).toMatchObject({
        accountExternalIdField: 'Journy_Account_Id__c',
        source: { ongoingImport: true },
        destination: { userSegments: ['seg-active'], accountSegments: [], createContacts: true, createAccounts: false },
      });
      expect(response.body.settings.destination.contactMappings[1]).toEqual({ journyProperty: 'segments', journyType: 'string_array', salesforceField: 'Interests__c' });
      expect(response.body.settings.destination.defaultContactMappings.map((m: { salesforceField: string }) => m.salesforceField)).toEqual(['Email', 'FirstName', 'LastName', 'Phone']);
    });

    it('sets which API delivers the change events (null: the instance default) and shows where the stream stands', async () => {
      const set = await patch({ source: { changeStream: 'cometd' } });
      expect(set.status).toBe(200);
      expect(set.body.settings.source).toEqual({ ongoingImport: true, changeStream: 'cometd' });
      const bad = await patch({ source: { changeStream: 'kafka' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'source.changeStream' });
      const back = await patch({ source: { changeStream: null } });
      expect(back.body.settings.source).toEqual({ ongoingImport: true, changeStream: null });
      // No ingest instance has streamed this connection yet: no stored position, no fallback.
      const shown = await request(app.getHttpServer()).get(`/v1/connections/${id}`).set('Authorization', await auth(owner));
      expect(shown.body.stream).toBeNull();
    });

    it('answers 400 naming the setting or the mapping and the reason; 409 on a stale revision', async () => {
      const badId = await patch({ accountExternalIdField: 'Name' });
      expect(badId.status).toBe(400);
      expect(badId.body.error).toMatchObject({ code: 'INVALID_SETTING', field: 'accountExternalIdField' });
      const badMapping = await patch({
        destination: { contactMappings: [{ journyProperty: 'ok', journyType: 'string', salesforceField: 'Title' }, { journyProperty: 'score', journyType: 'number', salesforceField: 'Last_Active__c' }] },
      });
      expect(badMapping.status).toBe(400);
      expect(badMapping.body.error).toMatchObject({
        code: 'INVALID_MAPPING',
        field: 'destination.contactMappings[1]',
        message: 'destination.contactMappings[1] (score → Last_Active__c): Contact.Last_Active__c is a datetime field and cannot take a journy number (it takes datetime)',
      });
      const unknown = await patch({ destination: { deleteEverything: true } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.field).toBe('destination.deleteEverything');
      const stale = await patch({ name: 'x', expectedRevision: 1 });
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('REVISION_CONFLICT');
      const readOnly = await request(app.getHttpServer()).patch(`/v1/connections/${id}`).set('Authorization', `Bearer ${await mintToken({ algorithm: 'HS256', key: env.JOURNY_JWT_KEY, issuer: 'journy.io', audience: 'salesforce-connector' }, { tenant: owner, scopes: ['connector:read'] })}`).send({ name: 'x' });
      expect(readOnly.status).toBe(403);
    });

    it('runs one import at a time per connection: start, progress, 409 while active, cancel', async () => {
      const base = `/v1/connections/${id}/imports`;
      const started = await request(app.getHttpServer()).post(base).set('Authorization', await auth(owner));
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({ state: 'PENDING', phase: null, connectionId: id, counts: { Account: { read: 0, published: 0, skipped: 0, failed: 0 } } });
      const second = await request(app.getHttpServer()).post(base).set('Authorization', await auth(owner));
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('IMPORT_ALREADY_RUNNING');
      const progress = await request(app.getHttpServer()).get(`${base}/${started.body.id}`).set('Authorization', await auth(owner));
      expect(progress.body).toMatchObject({ id: started.body.id, state: 'PENDING' });
      const foreign = await request(app.getHttpServer()).get(`${base}/${started.body.id}`).set('Authorization', await auth(uniqueName('other')));
      expect(foreign.status).toBe(404);
      const cancelled = await request(app.getHttpServer()).post(`${base}/${started.body.id}/cancel`).set('Authorization', await auth(owner));
      expect(cancelled.body).toMatchObject({ state: 'CANCELLED' });
      expect(cancelled.body.finishedAt).not.toBeNull();
      const again = await request(app.getHttpServer()).post(base).set('Authorization', await auth(owner));
      expect(again.status).toBe(201);
      const list = await request(app.getHttpServer()).get(base).set('Authorization', await auth(owner));
      expect(list.body.imports.map((j: { state: string }) => j.state)).toEqual(['PENDING', 'CANCELLED']);
    });

    it('marks the connection as needing reconnection when Salesforce revoked its refresh token', async () => {
      await fetch(`${emulator.url}/__emulator/sessions/revoke`, { method: 'POST' });
      const refused = await request(app.getHttpServer()).get(`/v1/connections/${id}/salesforce/objects/Contact/fields?refresh=true`).set('Authorization', await auth(owner));
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('CONNECTION_NEEDS_RECONNECT');
      const shown = await request(app.getHttpServer()).get(`/v1/connections/${id}`).set('Authorization', await auth(owner));
      expect(shown.body).toMatchObject({ status: 'NEEDS_RECONNECT' });
      expect(shown.body.statusReason).toMatch(/refresh token/);
      // Reconnecting the same org brings it back.
      const again = await request(app.getHttpServer()).get(`/v1/oauth/salesforce/callback${await consent(await start(owner))}`);
      expect(again.body.connection).toMatchObject({ id, status: 'CONNECTED', statusReason: null });
    });
  });
});
