import type { MembershipChange } from '../model/plan';
import { planMemberships, type ContactMatch } from './membership-planner';

const user = (email: string) => ({ userId: null, email, accountId: null, domain: null }) as unknown as MembershipChange['user'];
const account = (accountId: string | null) => ({ userId: null, email: null, accountId, domain: 'acme.io' }) as unknown as MembershipChange['account'];
const change = (op: 'ADD' | 'REMOVE', email: string, accountId: string | null, eventId = 'e1'): MembershipChange => ({ op, user: user(email), account: account(accountId), eventId });

function plan(changes: MembershipChange[], contacts: Record<string, ContactMatch>, accounts: Record<string, string>, primary: Record<string, string | null> = {}) {
  return planMemberships(changes, { contactOf: (k) => contacts[k], accountSfIdOf: (a) => accounts[a], primaryAccountOf: (k) => primary[k] ?? null });
}

const ann = { id: '003A', accountSfId: null, ambiguous: 0 };

describe('the membership planner', () => {
  it('attaches a contact with no account to the account it is added to', () => {
    const result = plan([change('ADD', 'ann@x.io', 'acc-1')], { 'e:ann@x.io': ann }, { 'acc-1': '001A' });
    expect([...result.attach]).toEqual([['e:ann@x.io', { accountId: 'acc-1', accountSfId: '001A', eventIds: ['e1'] }]]);
    expect(result.relations).toEqual([]);
  });

  it('adds a second account as a relation, and leaves the primary one alone', () => {
    const result = plan([change('ADD', 'ann@x.io', 'acc-2')], { 'e:ann@x.io': { ...ann, accountSfId: '001A' } }, { 'acc-2': '001B' });
    expect(result.attach.size).toBe(0);
    expect(result.relations).toEqual([{ change: expect.objectContaining({ op: 'ADD' }), contactId: '003A', accountSfId: '001B' }]);
  });

  it('knows the primary account from what journy-events set as well as from Salesforce', () => {
    const result = plan([change('ADD', 'ann@x.io', 'acc-1')], { 'e:ann@x.io': ann }, { 'acc-1': '001A' }, { 'e:ann@x.io': 'acc-1' });
    expect(result.attach.get('e:ann@x.io')?.accountSfId).toBe('001A');
  });

  it('detaches on the removal of the primary account, deletes the relation on the removal of another', () => {
    const primary = plan([change('REMOVE', 'ann@x.io', 'acc-1')], { 'e:ann@x.io': { ...ann, accountSfId: '001A' } }, { 'acc-1': '001A' });
    expect(primary.attach.get('e:ann@x.io')).toEqual({ accountId: null, accountSfId: null, eventIds: ['e1'] });
    const secondary = plan([change('REMOVE', 'ann@x.io', 'acc-2')], { 'e:ann@x.io': { ...ann, accountSfId: '001A' } }, { 'acc-2': '001B' });
    expect(secondary.relations).toEqual([expect.objectContaining({ accountSfId: '001B' })]);
  });

  it('skips a user without a contact and an account without a Salesforce account, saying which', () => {
    const result = plan([change('ADD', 'nobody@x.io', 'acc-1'), change('ADD', 'ann@x.io', 'acc-9', 'e2')], { 'e:ann@x.io': ann }, { 'acc-1': '001A' });
    expect(result.skipped.map((s) => [s.change.eventId, s.contactId, s.message])).toEqual([
      ['e1', null, 'the user has no Salesforce contact'],
      ['e2', '003A', 'account acc-9 has no Salesforce account'],
    ]);
  });
});
