import { profileEventKey, tenantId, toSalesforceId18, isSalesforceId } from './identifiers';

describe('identifiers', () => {
  it('computes the 18-character Salesforce id from the 15-character one', () => {
    // Documented pair: 001A0000006Vm9r (15) ↔ 001A0000006Vm9rIAC (18).
    expect(toSalesforceId18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(toSalesforceId18('001A0000006Vm9rIAC')).toBe('001A0000006Vm9rIAC');
    expect(toSalesforceId18('003000000000000')).toBe('003000000000000AAA');
  });

  it('rejects malformed Salesforce ids', () => {
    expect(() => toSalesforceId18('001-bad')).toThrow(/invalid Salesforce id/);
    expect(isSalesforceId('001A0000006Vm9rIAC')).toBe(true);
    expect(isSalesforceId('001A0000006Vm9rI')).toBe(false);
  });

  it('validates tenant ids and builds partition keys', () => {
    expect(profileEventKey(tenantId('acme'), 'USER', 'u-1')).toBe('acme:USER:u-1');
    expect(() => tenantId('')).toThrow(/invalid tenant id/);
    expect(() => tenantId('a b')).toThrow(/invalid tenant id/);
  });
});
