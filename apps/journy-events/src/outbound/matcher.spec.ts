import { contactFromLookup, matchContact, matchFoundAccount, matchLinkedAccount } from './matcher';

describe('matching journy accounts to Salesforce accounts', () => {
  it('updates a linked account, looks up an unlinked one, and refuses what cannot be matched', () => {
    expect(matchLinkedAccount({ linkedId: '001A', externalIdField: null, accountId: null })).toEqual({ kind: 'update', salesforceId: '001A' });
    expect(matchLinkedAccount({ linkedId: null, externalIdField: 'Journy_Id__c', accountId: 'acc-1' })).toEqual({ kind: 'lookup' });
    expect(matchLinkedAccount({ linkedId: null, externalIdField: null, accountId: 'acc-1' })).toMatchObject({ kind: 'refuse', reason: 'NO_EXTERNAL_ID_FIELD' });
    expect(matchLinkedAccount({ linkedId: null, externalIdField: 'Journy_Id__c', accountId: null })).toMatchObject({ kind: 'refuse', reason: 'MISSING_KEY' });
  });

  it('after a lookup: one match is updated, several are not guessed at, none is created only when allowed', () => {
    const base = { externalIdField: 'Journy_Id__c', accountId: 'acc-1', createAccounts: true };
    expect(matchFoundAccount({ ...base, found: ['001A'] })).toEqual({ kind: 'update', salesforceId: '001A' });
    expect(matchFoundAccount({ ...base, found: ['001A', '001B'] })).toEqual({ kind: 'refuse', status: 'SKIPPED', reason: 'AMBIGUOUS_MATCH', message: '2 accounts have Journy_Id__c = acc-1: not guessing' });
    expect(matchFoundAccount({ ...base, found: [] })).toEqual({ kind: 'create' });
    expect(matchFoundAccount({ ...base, found: [], createAccounts: false })).toMatchObject({ reason: 'CREATE_NOT_ALLOWED' });
  });
});

describe('matching journy users to Salesforce contacts', () => {
  const base = { email: 'ann@x.io', emailMaxLength: 80, hasFields: true, createContacts: true };

  it('reads a lookup: one contact (with its account), several (ambiguous), none', () => {
    expect(contactFromLookup([{ Id: '003A', AccountId: '001A' }])).toEqual({ id: '003A', accountSfId: '001A', ambiguous: 0 });
    expect(contactFromLookup([{ Id: '003A' }, { Id: '003B' }])).toEqual({ id: null, accountSfId: null, ambiguous: 2 });
    expect(contactFromLookup([])).toEqual({ id: null, accountSfId: null, ambiguous: 0 });
  });

  it('updates a matched contact, creates one when allowed, and settles a user with nothing to write', () => {
    expect(matchContact({ ...base, contact: { id: '003A', accountSfId: null, ambiguous: 0 } })).toEqual({ kind: 'update', salesforceId: '003A' });
    expect(matchContact({ ...base, contact: undefined })).toEqual({ kind: 'create' });
    expect(matchContact({ ...base, contact: undefined, createContacts: false })).toMatchObject({ reason: 'CREATE_NOT_ALLOWED' });
    expect(matchContact({ ...base, contact: { id: '003A', accountSfId: null, ambiguous: 0 }, hasFields: false })).toEqual({ kind: 'unchanged', salesforceId: '003A' });
  });

  it('refuses an ambiguous email, a missing one, and one no contact can hold (a failure, not a skip)', () => {
    expect(matchContact({ ...base, contact: { id: null, accountSfId: null, ambiguous: 3 } })).toMatchObject({ status: 'SKIPPED', reason: 'AMBIGUOUS_MATCH' });
    expect(matchContact({ ...base, contact: undefined, email: null })).toMatchObject({ status: 'SKIPPED', reason: 'MISSING_KEY' });
    expect(matchContact({ ...base, contact: undefined, email: `${'a'.repeat(90)}@x.io` })).toMatchObject({ status: 'FAILED', reason: 'INVALID_IDENTIFIER', message: expect.stringContaining('95 characters') });
  });
});
