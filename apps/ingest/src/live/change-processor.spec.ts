import { isOwnWrite } from './change-processor';

describe('change event details', () => {
  it('recognises the connector’s own writes by the client in changeOrigin, in every form a real org writes', () => {
    // Ours, through REST and through Bulk API 2.0.
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=journy-connector')).toBe(true);
    expect(isOwnWrite('com/salesforce/api/bulkapi/62.0;client=journy-connector')).toBe(true);
    // Another app's client id, and ones that only start or end like ours.
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=other-tool')).toBe(false);
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=journy-connector-2')).toBe(false);
    expect(isOwnWrite('com/salesforce/api/rest/62.0;client=my-journy-connector')).toBe(false);
    // An API call that set no client id.
    expect(isOwnWrite('com/salesforce/api/rest/62.0')).toBe(false);
    // A user in Lightning Experience.
    expect(isOwnWrite('com/salesforce/api/soap/60.0;client=SfdcInternalAPI/')).toBe(false);
    // The platform itself, and UI or gap events with no origin.
    expect(isOwnWrite('com.salesforce.core')).toBe(false);
    expect(isOwnWrite('')).toBe(false);
    expect(isOwnWrite(undefined)).toBe(false);
  });
});
