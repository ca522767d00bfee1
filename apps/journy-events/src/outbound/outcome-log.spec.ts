import type { Intent, MembershipChange } from '../model/plan';
import type { ProfileEvent } from '../model/profile-event';
import { OutcomeLog } from './outcome-log';

const entity = { userId: 'u1', email: 'ann@x.io', accountId: null, domain: null } as ProfileEvent['entity'];

function intent(overrides: Partial<Intent> = {}): Intent {
  return {
    kind: 'USER', entityKey: 'u:u1', entity, events: [{ eventId: 'e1' }, { eventId: 'e2' }] as ProfileEvent[], skips: [],
    fields: { Title: 'CTO' }, sources: { Title: 'title' }, rejected: [], full: false, inScope: true, memberships: [], next: {} as Intent['next'],
    ...overrides,
  };
}

describe('the outcome log of a connection’s batch', () => {
  const log = () => new OutcomeLog({ tenantId: 't1', connectionId: 'con_1' });

  it('logs a write with its fields and their journy sources, and says what was not written', () => {
    const outcomes = log();
    outcomes.written(intent({ rejected: [{ field: 'NumberOfEmployees', property: 'seats', reason: 'not a number' }] }), 'UPDATE', { id: '003A', success: true, created: false, errors: [] }, { Id: '003A', Title: 'CTO' }, 'Contact');
    expect(outcomes.lines).toEqual([expect.objectContaining({
      tenantId: 't1', connectionId: 'con_1', direction: 'JOURNY_TO_SALESFORCE', objectType: 'USER', operation: 'UPDATE', status: 'SUCCEEDED',
      message: 'not written: seats → not a number', salesforce: { objectType: 'Contact', recordId: '003A' }, fields: [{ name: 'Title', source: 'title', value: 'CTO' }],
    })]);
  });

  it('logs Salesforce’s refusal with its first error, and a refusal before any call with its reason', () => {
    const outcomes = log();
    outcomes.rejectedBySalesforce(intent(), 'CREATE', { id: null, success: false, created: false, errors: [{ code: 'REQUIRED_FIELD_MISSING', message: 'LastName', fields: ['LastName'] }] }, { Title: 'CTO' });
    outcomes.refused(intent(), 'SKIPPED', 'CREATE_NOT_ALLOWED', 'creating contacts is off');
    expect(outcomes.lines.map((l) => [l.status, l.reason, l.error?.code ?? null, l.message])).toEqual([
      ['FAILED', 'SALESFORCE_REJECTED', 'REQUIRED_FIELD_MISSING', 'REQUIRED_FIELD_MISSING: LastName'],
      ['SKIPPED', 'CREATE_NOT_ALLOWED', null, 'creating contacts is off'],
    ]);
  });

  it('names values no field could take, and writes no line when there are none', () => {
    const outcomes = log();
    outcomes.invalidValues(intent(), '003A');
    expect(outcomes.lines).toEqual([]);
    outcomes.invalidValues(intent({ rejected: [{ field: 'Birthdate', property: 'born', reason: 'not a date' }] }), '003A');
    expect(outcomes.lines[0]).toMatchObject({ status: 'FAILED', reason: 'INVALID_VALUE', error: { code: 'INVALID_VALUE', fields: ['Birthdate'] } });
  });

  it('gives each line an id derived from its events, so a replay logs it once', () => {
    const [a, b] = [log(), log()];
    a.unchanged(intent(), '003A');
    b.unchanged(intent(), '003A');
    expect(a.lines[0].logId).toBe(b.lines[0].logId);
    a.eventSkipped(intent(), { eventId: 'e2', reason: 'OUT_OF_SEGMENT', message: 'not in a selected segment' }, entity, null);
    expect(a.lines[1].logId).not.toBe(a.lines[0].logId);
  });

  it('logs memberships: the primary account set or cleared, a relation already there, a change skipped', () => {
    const change: MembershipChange = { op: 'ADD', user: entity, account: { ...entity, userId: null, email: null, accountId: 'acc-1', domain: 'acme.io' }, eventId: 'e3' };
    const outcomes = log();
    outcomes.attachment(entity, { accountId: 'acc-1', accountSfId: '001A', eventIds: ['e3'] }, { id: '003A', success: true, created: false, errors: [] });
    outcomes.attachment(entity, { accountId: null, accountSfId: null, eventIds: ['e4'] }, { id: '003A', success: true, created: false, errors: [] });
    outcomes.relation(change, null, 'NO_CHANGE');
    outcomes.membershipSkipped(change, null, 'NOT_LINKED', 'the user has no Salesforce contact');
    expect(outcomes.lines.map((l) => [l.objectType, l.operation, l.status, l.reason, l.message])).toEqual([
      ['MEMBERSHIP', 'LINK', 'SUCCEEDED', null, 'Contact.AccountId = 001A'],
      ['MEMBERSHIP', 'UNLINK', 'SUCCEEDED', null, 'Contact.AccountId cleared'],
      ['MEMBERSHIP', 'LINK', 'SKIPPED', 'NO_CHANGE', null],
      ['MEMBERSHIP', 'LINK', 'SKIPPED', 'NOT_LINKED', 'the user has no Salesforce contact'],
    ]);
  });
});
