import { DEFAULT_HOST_POLICY, checkSalesforceUrl, loginUrlFor } from './hosts';

describe('Salesforce host policy', () => {
  it('accepts https Salesforce hosts and returns the bare origin', () => {
    expect(checkSalesforceUrl('https://acme.my.salesforce.com/some/path?x=1', DEFAULT_HOST_POLICY)).toBe('https://acme.my.salesforce.com');
    expect(checkSalesforceUrl('https://login.salesforce.com', DEFAULT_HOST_POLICY)).toBe('https://login.salesforce.com');
    expect(loginUrlFor('sandbox', DEFAULT_HOST_POLICY)).toBe('https://test.salesforce.com');
    expect(loginUrlFor('custom', DEFAULT_HOST_POLICY, 'https://acme--dev.sandbox.my.salesforce.com')).toBe('https://acme--dev.sandbox.my.salesforce.com');
  });

  it('refuses other hosts, plain http, look-alikes and credentials in the URL', () => {
    for (const bad of ['https://evil.example', 'http://login.salesforce.com', 'https://salesforce.com.evil.example', 'https://user:pw@login.salesforce.com', 'not a url']) {
      expect(() => checkSalesforceUrl(bad, DEFAULT_HOST_POLICY)).toThrow(/Salesforce|URL|credentials/);
    }
    expect(() => loginUrlFor('custom', DEFAULT_HOST_POLICY)).toThrow(/myDomainUrl/);
  });

  it('allows the configured insecure hosts (the local emulator) only', () => {
    const policy = { ...DEFAULT_HOST_POLICY, insecureHosts: ['127.0.0.1:8484'] };
    expect(checkSalesforceUrl('http://127.0.0.1:8484/services', policy)).toBe('http://127.0.0.1:8484');
    expect(() => checkSalesforceUrl('http://127.0.0.1:9999', policy)).toThrow();
    expect(checkSalesforceUrl('http://localhost', { ...DEFAULT_HOST_POLICY, insecureHosts: ['localhost'] })).toBe('http://localhost');
  });

  it('takes `*` in an insecure host as any one label (an emulator fleet on 127.1.x.y), never more', () => {
    const policy = { ...DEFAULT_HOST_POLICY, insecureHosts: ['127.1.*.*:8484'] };
    expect(checkSalesforceUrl('http://127.1.0.7:8484/services', policy)).toBe('http://127.1.0.7:8484');
    expect(checkSalesforceUrl('http://127.1.3.255:8484', policy)).toBe('http://127.1.3.255:8484');
    for (const bad of ['http://127.1.0.7:8485', 'http://127.2.0.7:8484', 'http://127.1.0.7.evil.example:8484', 'http://evil.127.1.0.7:8484']) {
      expect(() => checkSalesforceUrl(bad, policy)).toThrow(/Salesforce/);
    }
  });
});
