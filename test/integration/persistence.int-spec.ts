import { ValidationError } from '@connector/domain';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, DuplicateError, NewConnection, OutboundLinksRepository, RevisionConflictError, StoreCommand, connectMongo, observeStoreCommands } from '@connector/persistence';
import type { Connection as MongoConnection } from 'mongoose';
import { stackEnv, uniqueName } from '../support/stack-env';

const logger = createLogger({ name: 'persistence-int-spec', level: 'warn' });

function newConnection(orgId: string): NewConnection {
  return {
    name: 'Acme production',
    org: {
      orgId,
      instanceUrl: 'https://acme.my.salesforce.com',
      loginUrl: 'https://login.salesforce.com',
      environment: 'production',
      integrationUserId: '005000000000001AAA',
      username: 'integration@acme.com',
    },
    credentials: {
      accessToken: { keyId: 'k1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' },
      refreshToken: null,
      issuedAt: new Date('2026-11-28T10:00:00Z'),
      scope: 'api refresh_token',
    },
  };
}

describe('connections repository (real MongoDB-compatible store)', () => {
  const env = stackEnv();
  let mongo: MongoConnection;
  let repository: ConnectionsRepository;
  const tenantA = uniqueName('tenant-a');
  const tenantB = uniqueName('tenant-b');

  beforeAll(async () => {
    mongo = await connectMongo({ uri: env.mongodbUri, attempts: 3 }, logger);
    repository = new ConnectionsRepository(mongo);
    await repository.ensureIndexes();
  });

  afterAll(async () => {
    await mongo.close();
  });

  it('creates, reads, lists, updates and deletes a connection', async () => {
    const created = await repository.create(tenantA, newConnection('00D000000000001EAA'));
    expect(created.id).toMatch(/^con_[0-9a-f]{24}$/);
    expect(created).toMatchObject({ tenantId: tenantA, enabled: true, status: 'CONNECTED', revision: 1 });
    expect(created.settings.destination.createContacts).toBe(false);

    expect(await repository.findById(tenantA, created.id)).toEqual(created);
    expect((await repository.findByOrg(tenantA, '00D000000000001EAA'))?.id).toBe(created.id);
    expect((await repository.list(tenantA)).map((c) => c.id)).toEqual([created.id]);

    const updated = await repository.update(tenantA, created.id, {
      name: 'Renamed',
      settings: { ...created.settings, accountExternalIdField: 'Journy_Account_Id__c', source: { ongoingImport: true, changeStream: 'cometd' } },
    });
    expect(updated).toMatchObject({ name: 'Renamed', revision: 2 });
    expect(updated?.settings.accountExternalIdField).toBe('Journy_Account_Id__c');
    expect(updated?.settings.source.ongoingImport).toBe(true);
    expect(updated?.settings.source.changeStream).toBe('cometd');
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    expect(await repository.delete(tenantA, created.id)).toBe(true);
    expect(await repository.findById(tenantA, created.id)).toBeNull();
    expect(await repository.delete(tenantA, created.id)).toBe(false);
  });

  it('refuses a second connection of the same org in one tenant (unique index), allows it in another tenant', async () => {
    const orgId = '00D000000000002EAA';
    await repository.create(tenantA, newConnection(orgId));
    const duplicate = repository.create(tenantA, newConnection(orgId));
    await expect(duplicate).rejects.toBeInstanceOf(DuplicateError);
    await expect(repository.create(tenantA, newConnection(orgId))).rejects.toBeInstanceOf(ValidationError);
    const other = await repository.create(tenantB, newConnection(orgId));
    expect(other.tenantId).toBe(tenantB);
  });

  it('scopes every method to its tenant: another tenant sees nothing and changes nothing', async () => {
    const mine = await repository.create(tenantA, newConnection('00D000000000003EAA'));
    expect(await repository.findById(tenantB, mine.id)).toBeNull();
    expect(await repository.findByOrg(tenantB, '00D000000000003EAA')).toBeNull();
    expect((await repository.list(tenantB)).map((c) => c.id)).not.toContain(mine.id);
    expect(await repository.update(tenantB, mine.id, { name: 'hijacked', enabled: false })).toBeNull();
    expect(await repository.delete(tenantB, mine.id)).toBe(false);
    const untouched = await repository.findById(tenantA, mine.id);
    expect(untouched).toMatchObject({ name: 'Acme production', enabled: true, revision: 1 });
  });

  it('lists the enabled connections of several tenants in one read, each under its own tenant, and the revisions of all', async () => {
    const tenantC = uniqueName('tenant-c');
    const tenantD = uniqueName('tenant-d');
    const on = await repository.create(tenantC, newConnection('00D000000000005EAA'));
    const off = await repository.create(tenantC, newConnection('00D000000000006EAA'));
    await repository.update(tenantC, off.id, { enabled: false });
    const other = await repository.create(tenantD, newConnection('00D000000000005EAA'));
    const found = await repository.listEnabledOf([tenantC, tenantD, tenantD, 'tenant-with-none']);
    expect([...found.keys()].sort()).toEqual([tenantC, tenantD, 'tenant-with-none'].sort());
    expect(found.get(tenantC)!.map((c) => c.id)).toEqual([on.id]);
    expect(found.get(tenantD)!.map((c) => c.id)).toEqual([other.id]);
    expect(found.get('tenant-with-none')).toEqual([]);
    const all = await repository.listAllIds();
    expect(all).toEqual(expect.arrayContaining([{ id: on.id, tenantId: tenantC, revision: 1 }, { id: off.id, tenantId: tenantC, revision: 2 }]));
  });

  it('detects a concurrent change with the expected revision', async () => {
    const created = await repository.create(tenantA, newConnection('00D000000000004EAA'));
    await repository.update(tenantA, created.id, { enabled: false }, 1);
    await expect(repository.update(tenantA, created.id, { enabled: true }, 1)).rejects.toBeInstanceOf(RevisionConflictError);
    expect(await repository.update(tenantA, 'con_missing', { enabled: true }, 1)).toBeNull();
  });

  it('has the indexes each query needs', async () => {
    const indexes = await mongo.collection('connections').indexes();
    const names = indexes.map((index) => index.name);
    expect(names).toEqual(expect.arrayContaining(['tenant_org_unique', 'tenant_created']));
    expect(indexes.find((index) => index.name === 'tenant_org_unique')?.unique).toBe(true);
    // journy-events reads a connection's outbound links at once: by connection, not by scanning every one's.
    await new OutboundLinksRepository(mongo).ensureIndexes();
    const links = await mongo.collection('outbound_links').indexes();
    expect(links.find((index) => index.name === 'tenant_connection')?.key).toEqual({ tenantId: 1, connectionId: 1 });
  });

  it('reports each command an app sends, by collection, once answered (handshakes and pings left out)', async () => {
    const observed = await connectMongo({ uri: env.mongodbUri, attempts: 3 }, logger);
    const seen: StoreCommand[] = [];
    observeStoreCommands(observed, (command) => seen.push(command));
    try {
      const observedRepository = new ConnectionsRepository(observed);
      await observedRepository.ensureIndexes();
      seen.splice(0); // the indexes made at start
      const created = await observedRepository.create(tenantA, newConnection('00D000000000005EAA'));
      await observedRepository.findById(tenantA, created.id);
      await observed.db!.admin().ping();
      await expect(observed.db!.command({ noSuchCommand: 1 })).rejects.toThrow();
      // (mongoose creates its models' collections in the background: a `create` may come at any time)
      expect(seen.filter((c) => c.command !== 'create').map(({ command, collection, ok }) => ({ command, collection, ok }))).toEqual([
        { command: 'insert', collection: 'connections', ok: true },
        { command: 'find', collection: 'connections', ok: true },
        { command: 'noSuchCommand', collection: '', ok: false },
      ]);
      expect(seen.every((c) => c.ms >= 0)).toBe(true);
    } finally {
      await observed.close();
    }
  });

  it('fails with one clear line when the store is unreachable', async () => {
    await expect(connectMongo({ uri: 'mongodb://user:secret@127.0.0.1:1/x', attempts: 2, delayMs: 10, serverSelectionTimeoutMs: 300 }, logger)).rejects.toThrow(
      /^MongoDB unreachable at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/x after 2 attempts: /,
    );
  });
});
