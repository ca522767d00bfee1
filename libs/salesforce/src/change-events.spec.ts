import { changeKindOf, flattenCompound, madeByClient, plainFieldName } from './change-events';

describe('change event helpers', () => {
  it('spreads compound fields into the fields they are', () => {
    expect(plainFieldName('Name.LastName')).toBe('LastName');
    expect(plainFieldName('BillingAddress.City')).toBe('BillingCity');
    expect(plainFieldName('Phone')).toBe('Phone');
    expect(flattenCompound({ Name: { FirstName: 'Ann', LastName: 'Lee' }, MailingAddress: { City: 'Ghent' }, Phone: null })).toEqual({ FirstName: 'Ann', LastName: 'Lee', MailingCity: 'Ghent', Phone: null });
  });

  it('reads change types as what they ask for', () => {
    expect(['CREATE', 'UPDATE', 'DELETE', 'UNDELETE', 'GAP_CREATE', 'GAP_OVERFLOW', 'MERGE'].map(changeKindOf)).toEqual(['CREATE', 'UPDATE', 'DELETE', 'UNDELETE', 'GAP', 'GAP', 'UNKNOWN']);
  });

  it('tells a client’s own writes by the exact client id in changeOrigin', () => {
    expect(madeByClient('com/salesforce/api/rest/62.0;client=abc', 'abc')).toBe(true);
    expect(madeByClient('com/salesforce/api/rest/62.0;client=abcd', 'abc')).toBe(false);
    expect(madeByClient(undefined, 'abc')).toBe(false);
  });
});
