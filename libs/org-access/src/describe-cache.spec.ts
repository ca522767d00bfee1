import type { Connection } from '@connector/persistence';
import { DescribeCache } from './describe-cache';

const connection = { id: 'con_1' } as Connection;
const field = (name: string) => ({ name, label: name, type: 'string', length: 80, nillable: true, createable: true, updateable: true });

function fakeSessions(answers: (() => Promise<Record<string, unknown>>)[]) {
  const calls: string[] = [];
  return { calls, sessions: { client: () => ({ describe: async (object: string) => { calls.push(object); return answers[calls.length - 1](); } }) } as never };
}

describe('the describe cache', () => {
  it('reads an object once for all callers, by lower-cased field name, and again on refresh', async () => {
    const { calls, sessions } = fakeSessions([async () => ({ fields: [field('Title')] }), async () => ({ fields: [field('Title'), field('Tier__c')] })]);
    const cache = new DescribeCache(sessions);
    const [a, b] = await Promise.all([cache.fields(connection, 'Contact'), cache.fields(connection, 'Contact')]);
    expect(a).toBe(b);
    expect([...a.keys()]).toEqual(['title']);
    expect([...(await cache.fields(connection, 'Contact', { refresh: true })).keys()]).toEqual(['title', 'tier__c']);
    expect(calls).toEqual(['Contact', 'Contact']);
  });

  it('keeps no failed read, and forgets a connection on demand', async () => {
    const { calls, sessions } = fakeSessions([async () => { throw new Error('down'); }, async () => ({ fields: [field('Name')] }), async () => ({ fields: [field('Name')] })]);
    const cache = new DescribeCache(sessions);
    await expect(cache.fields(connection, 'Account')).rejects.toThrow('down');
    await cache.fields(connection, 'Account');
    cache.forget('con_1');
    await cache.fields(connection, 'Account');
    expect(calls).toHaveLength(3);
  });

  it('reads again once its time to live has passed', async () => {
    const { calls, sessions } = fakeSessions([async () => ({ fields: [] }), async () => ({ fields: [] })]);
    const cache = new DescribeCache(sessions, 0);
    await cache.fields(connection, 'Account');
    await cache.fields(connection, 'Account');
    expect(calls).toHaveLength(2);
  });
});
