import { flattenCompound, isOwnWrite, plainFieldName } from './change-processor';

describe('change event details', () => {
  it('recognises the connector’s own writes by the client in changeOrigin', () => {
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=journy-connector')).toBe(true);
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=other-tool')).toBe(false);
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=journy-connector-2')).toBe(false);
    expect(isOwnWrite('')).toBe(false);
    expect(isOwnWrite(undefined)).toBe(false);
  });

  it('spreads compound fields into the fields they are', () => {
    expect(plainFieldName('Name.LastName')).toBe('LastName');
    expect(plainFieldName('BillingAddress.City')).toBe('BillingCity');
    expect(plainFieldName('Phone')).toBe('Phone');
    expect(flattenCompound({ Name: { FirstName: 'Ann', LastName: 'Lee' }, MailingAddress: { City: 'Ghent' }, Phone: null })).toEqual({ FirstName: 'Ann', LastName: 'Lee', MailingCity: 'Ghent', Phone: null });
  });
});
