import type { SalesforceFieldMeta } from './field-meta';
import { sameSalesforceValue, toSalesforceValue } from './outbound';

const field = (type: string, extra: Partial<SalesforceFieldMeta> = {}): SalesforceFieldMeta => ({
  name: 'F__c', label: 'F', type: type as SalesforceFieldMeta['type'], length: 0, precision: 0, scale: 0, digits: 0, nillable: true, createable: true, updateable: true,
  unique: false, externalId: false, idLookup: false, calculated: false, picklistValues: [], restrictedPicklist: false, referenceTo: [], ...extra,
});

describe('journy values into Salesforce values', () => {
  it('rounds numbers to the field scale and refuses what the precision cannot hold', () => {
    expect(toSalesforceValue(field('percent', { precision: 5, scale: 2 }), 72.456)).toEqual({ ok: true, value: 72.46 });
    expect(toSalesforceValue(field('int', { digits: 6 }), 41.6)).toEqual({ ok: true, value: 42 });
    expect(toSalesforceValue(field('currency', { precision: 16, scale: 2 }), '1200.5')).toEqual({ ok: true, value: 1200.5 });
    expect(toSalesforceValue(field('percent', { precision: 5, scale: 2 }), 12345)).toMatchObject({ ok: false, reason: expect.stringContaining('3 digits') });
    expect(toSalesforceValue(field('double', { precision: 10, scale: 4 }), 'abc')).toMatchObject({ ok: false, reason: expect.stringContaining('not a number') });
  });

  it('writes dates as days (UTC) and datetimes as ISO instants', () => {
    expect(toSalesforceValue(field('date'), { iso: '2026-03-04T23:30:00.000Z' })).toEqual({ ok: true, value: '2026-03-04' });
    expect(toSalesforceValue(field('datetime'), { iso: '2026-03-04T23:30:00+01:00' })).toEqual({ ok: true, value: '2026-03-04T22:30:00.000Z' });
    expect(toSalesforceValue(field('date'), 'next tuesday')).toMatchObject({ ok: false });
  });

  it('matches picklist values case-insensitively; a restricted picklist refuses unknown values', () => {
    const stage = field('picklist', { picklistValues: ['Trial', 'Active'], restrictedPicklist: true });
    expect(toSalesforceValue(stage, 'active')).toEqual({ ok: true, value: 'Active' });
    expect(toSalesforceValue(stage, 'Gold')).toMatchObject({ ok: false, reason: expect.stringContaining('not one of its values') });
    expect(toSalesforceValue(field('picklist', { picklistValues: ['A'] }), 'B')).toEqual({ ok: true, value: 'B' });
  });

  it('joins multi-select lists with ";" in the field values, without repeats', () => {
    const interests = field('multipicklist', { picklistValues: ['Analytics', 'Security'], length: 4099 });
    expect(toSalesforceValue(interests, ['analytics', 'Security', 'Analytics'])).toEqual({ ok: true, value: 'Analytics;Security' });
    expect(toSalesforceValue(field('multipicklist', { picklistValues: ['A'], restrictedPicklist: true }), ['A', 'Z'])).toMatchObject({ ok: false });
  });

  it('checks text length, emails and booleans; null clears unless the field is required', () => {
    expect(toSalesforceValue(field('string', { length: 5 }), 'toolong')).toMatchObject({ ok: false, reason: expect.stringContaining('longer than its 5') });
    expect(toSalesforceValue(field('string', { length: 50 }), ['a', 'b'])).toEqual({ ok: true, value: 'a;b' });
    expect(toSalesforceValue(field('email', { length: 80 }), 'not-an-email')).toMatchObject({ ok: false });
    expect(toSalesforceValue(field('boolean'), 'yes')).toMatchObject({ ok: false });
    expect(toSalesforceValue(field('boolean', { nillable: false }), null)).toEqual({ ok: true, value: false });
    expect(toSalesforceValue(field('string'), null)).toEqual({ ok: true, value: null });
    expect(toSalesforceValue(field('string', { nillable: false }), null)).toMatchObject({ ok: false, reason: expect.stringContaining('required') });
  });

  it('compares written values as Salesforce stores them', () => {
    expect(sameSalesforceValue(72.46, 72.46000000001)).toBe(true);
    expect(sameSalesforceValue(null, undefined)).toBe(true);
    expect(sameSalesforceValue('a', 'b')).toBe(false);
  });
});
