import { domainFromWebsite, toJournyValue } from './inbound';

const field = (type: string) => ({ name: 'F__c', type: type as never });

describe('Salesforce values into journy values', () => {
  it('converts by describe type, from typed JSON and from CSV text alike', () => {
    expect(toJournyValue(field('double'), '12.5')).toEqual({ ok: true, value: 12.5 });
    expect(toJournyValue(field('int'), 7)).toEqual({ ok: true, value: 7 });
    expect(toJournyValue(field('percent'), '80')).toEqual({ ok: true, value: 80 });
    expect(toJournyValue(field('boolean'), 'true')).toEqual({ ok: true, value: true });
    expect(toJournyValue(field('boolean'), false)).toEqual({ ok: true, value: false });
    expect(toJournyValue(field('date'), '2026-02-03')).toEqual({ ok: true, value: { iso: '2026-02-03T00:00:00.000Z' } });
    expect(toJournyValue(field('datetime'), '2026-02-03T10:11:12.000+0000')).toEqual({ ok: true, value: { iso: '2026-02-03T10:11:12.000Z' } });
    expect(toJournyValue(field('multipicklist'), 'A;B; C')).toEqual({ ok: true, value: ['A', 'B', 'C'] });
    expect(toJournyValue(field('picklist'), 'Active')).toEqual({ ok: true, value: 'Active' });
    expect(toJournyValue(field('string'), 42)).toEqual({ ok: true, value: '42' });
  });

  it('reads empty as null (a cleared field) and refuses what does not convert, with a reason', () => {
    expect(toJournyValue(field('double'), '')).toEqual({ ok: true, value: null });
    expect(toJournyValue(field('string'), null)).toEqual({ ok: true, value: null });
    expect(toJournyValue(field('double'), 'abc')).toEqual({ ok: false, reason: 'F__c (double): not a number: "abc"' });
    expect(toJournyValue(field('date'), '03/02/2026').ok).toBe(false);
    expect(toJournyValue(field('boolean'), 'yes').ok).toBe(false);
    expect(toJournyValue(field('address'), { city: 'Ghent' }).ok).toBe(false);
  });

  it('takes the domain from a website', () => {
    expect(domainFromWebsite('https://www.Acme.com/about')).toBe('acme.com');
    expect(domainFromWebsite('acme.io')).toBe('acme.io');
    expect(domainFromWebsite('  ')).toBeNull();
    expect(domainFromWebsite('not a site')).toBeNull();
  });
});
