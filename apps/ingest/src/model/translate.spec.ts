import { fieldMetaFromDescribe } from '@connector/mapping';
import { defaultSettings } from '@connector/persistence';
import { flattenRestRecord } from '@connector/salesforce';
import { buildInboundModel, selectSoql } from './inbound-model';
import { MAX_MEMBERS_PER_COMMAND, PublishBatch } from './publish-batch';
import { translateAccounts, translateContacts, translateRelations } from './translate';

const field = (name: string, type: string, extra: Record<string, unknown> = {}) => fieldMetaFromDescribe({ name, type, updateable: true, createable: true, ...extra });
const orgFields = {
  Account: new Map([field('Name', 'string'), field('Website', 'url'), field('Journy_Account_Id__c', 'string', { externalId: true }), field('Seats__c', 'int')].map((f) => [f.name.toLowerCase(), f])),
  Contact: new Map([field('Email', 'email'), field('FirstName', 'string'), field('LastName', 'string'), field('Phone', 'phone'), field('AccountId', 'reference'), field('Last_Active__c', 'datetime')].map((f) => [f.name.toLowerCase(), f])),
};
const settings = {
  ...defaultSettings(),
  accountExternalIdField: 'journy_account_id__c',
  destination: { ...defaultSettings().destination, accountMappings: [{ journyProperty: 'seats', journyType: 'number', salesforceField: 'Seats__c' }], contactMappings: [{ journyProperty: 'last_active', journyType: 'datetime', salesforceField: 'Last_Active__c' }] },
};
const context = { tenantId: 't1', connectionId: 'c1', orgId: '00D', mode: 'INITIAL_IMPORT' as const };

describe('the inbound model', () => {
  it('reads the default mappings and the connection’s own in the other direction, typed by describe', () => {
    const model = buildInboundModel(settings, orgFields, true);
    expect(model.externalIdField).toBe('Journy_Account_Id__c');
    expect(model.contact.map((f) => [f.field, f.property])).toEqual([['FirstName', 'first_name'], ['LastName', 'last_name'], ['Phone', 'phone'], ['Last_Active__c', 'last_active']]);
    expect(model.account.map((f) => [f.field, f.property])).toEqual([['Name', 'name'], ['Seats__c', 'seats']]);
    expect(selectSoql(model, 'Contact')).toBe('SELECT Id, Email, AccountId, SystemModstamp, Account.Journy_Account_Id__c, FirstName, LastName, Phone, Last_Active__c FROM Contact');
    expect(selectSoql(model, 'AccountContactRelation')).toBe('SELECT Id, ContactId, AccountId, SystemModstamp, Contact.Email, Account.Journy_Account_Id__c FROM AccountContactRelation ORDER BY AccountId');
  });

  it('flattens REST relationship objects to the dotted names of Bulk CSV', () => {
    expect(flattenRestRecord({ attributes: { type: 'Contact' }, Id: '003', Account: { attributes: {}, Journy_Account_Id__c: 'acc-1' } })).toEqual({ Id: '003', 'Account.Journy_Account_Id__c': 'acc-1' });
  });
});

describe('records into commands', () => {
  const model = buildInboundModel(settings, orgFields, false);

  it('accounts: keyed by the External ID, domain from the website, typed properties; no key → skipped with the reason', () => {
    const batch = new PublishBatch(context, 'job1', 1000);
    const result = translateAccounts(model, batch, [
      { Id: '001A', Name: 'Acme', Website: 'https://www.acme.io/x', Journy_Account_Id__c: 'acc-1', Seats__c: '12', SystemModstamp: '2026-01-02T03:04:05.000+0000' },
      { Id: '001B', Name: 'No key', Website: '', Journy_Account_Id__c: '' },
    ], { operation: 'UPSERT', snapshot: true });
    expect(batch.commands).toHaveLength(1);
    expect(batch.commands[0].key).toBe('t1:ACCOUNT:acc-1');
    expect(batch.commands[0].value.payload).toEqual({ 'journy.UpsertAccount': { accountId: 'acc-1', domain: 'acme.io', properties: { name: 'Acme', seats: 12 } } });
    expect(batch.commands[0].value.source).toEqual({ orgId: '00D', objectType: 'Account', recordId: '001A', modifiedAt: Date.parse('2026-01-02T03:04:05.000Z'), replayId: null });
    expect(batch.logs.map((l) => [l.salesforce.recordId, l.status, l.reason])).toEqual([['001A', 'SUCCEEDED', null], ['001B', 'SKIPPED', 'MISSING_KEY']]);
    expect(result.counts).toEqual({ read: 2, published: 1, skipped: 1, failed: 0 });
    expect(result.links[0]).toMatchObject({ kind: 'ACCOUNT', salesforceId: '001A', journyKey: 'acc-1', lastRead: { _snapshotAt: Date.parse('2026-01-02T03:04:05.000Z') } });
  });

  it('contacts: keyed by lower-cased email; a value that does not convert is left out with the reason, the rest still syncs', () => {
    const batch = new PublishBatch(context, 'job1', 1000);
    translateContacts(model, batch, [{ Id: '003A', Email: ' Ann@Example.COM ', FirstName: 'Ann', LastName: 'Lee', Phone: '', Last_Active__c: 'yesterday', AccountId: '001A', 'Account.Journy_Account_Id__c': 'acc-1' }], { operation: 'UPSERT', snapshot: true });
    const user = batch.commands.find((c) => 'journy.UpsertUser' in c.value.payload)!;
    expect(user.value.payload).toEqual({ 'journy.UpsertUser': { userId: null, email: 'ann@example.com', properties: { first_name: 'Ann', last_name: 'Lee', phone: null } } });
    expect(batch.logs[0].message).toContain('Last_Active__c (datetime): not a datetime');
    // Without AccountContactRelation, the contact's AccountId is the membership.
    const membership = batch.commands.find((c) => 'journy.AddAccountMembers' in c.value.payload)!;
    expect(membership.value.payload).toEqual({ 'journy.AddAccountMembers': { accountId: 'acc-1', users: [{ userId: null, email: 'ann@example.com' }] } });
  });

  it('relationships: grouped by account, at most 100 users a command, one log line per relationship, stable ids', () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ Id: `07k${i}`, AccountId: '001A', ContactId: `003${i}`, 'Contact.Email': `u${i}@x.org`, 'Account.Journy_Account_Id__c': 'acc-1' }));
    rows.push({ Id: '07kZ', AccountId: '001B', ContactId: '003Z', 'Contact.Email': '', 'Account.Journy_Account_Id__c': 'acc-2' });
    const first = new PublishBatch(context, 'job1', 1000);
    translateRelations(model, first, rows, { operation: 'UPSERT', snapshot: true });
    expect(first.commands.map((c) => (c.value.payload as { 'journy.AddAccountMembers': { users: unknown[] } })['journy.AddAccountMembers'].users.length)).toEqual([MAX_MEMBERS_PER_COMMAND, MAX_MEMBERS_PER_COMMAND, 50]);
    expect(first.logs).toHaveLength(251);
    expect(first.logs.find((l) => l.salesforce.recordId === '07kZ')).toMatchObject({ status: 'SKIPPED', reason: 'MISSING_KEY', objectType: 'MEMBERSHIP' });
    const again = new PublishBatch(context, 'job1', 2000);
    translateRelations(model, again, rows, { operation: 'UPSERT', snapshot: true });
    expect(again.commands.map((c) => c.value.commandId)).toEqual(first.commands.map((c) => c.value.commandId));
    expect(again.logs.map((l) => l.logId)).toEqual(first.logs.map((l) => l.logId));
  });
});
