import { ValidationError } from '@connector/domain';

export type LoginEnvironment = 'production' | 'sandbox' | 'custom';

export interface HostPolicy {
  productionLoginUrl: string;
  sandboxLoginUrl: string;
  /**
   * Hosts allowed over plain http (the local emulator); empty in production. An entry is a host (`name` or
   * `name:port`) whose labels may be `*`, matching any one label: `127.1.*.*:8484` allows an emulator fleet.
   */
  insecureHosts: string[];
}

export const DEFAULT_HOST_POLICY: HostPolicy = {
  productionLoginUrl: 'https://login.salesforce.com',
  sandboxLoginUrl: 'https://test.salesforce.com',
  insecureHosts: [],
};

const SALESFORCE_HOST = /^(?:[a-z0-9-]+\.)*(?:salesforce\.com|force\.com|salesforce-sites\.com|cloudforce\.com)$/i;

/**
 * Parses and checks a URL Salesforce (or a user) gave us: https on a Salesforce domain, or one of the configured
 * insecure hosts. Returns its origin, so paths and credentials smuggled in the URL are dropped.
 */
export function checkSalesforceUrl(value: string, policy: HostPolicy, what = 'Salesforce URL'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('INVALID_SALESFORCE_URL', `${what} is not a URL`, { field: what });
  }
  if (url.username || url.password) throw new ValidationError('INVALID_SALESFORCE_URL', `${what} must not carry credentials`, { field: what });
  const insecure = policy.insecureHosts.some((pattern) => hostMatches(pattern, url));
  if (url.protocol === 'https:' && (SALESFORCE_HOST.test(url.hostname) || insecure)) return url.origin;
  if (url.protocol === 'http:' && insecure) return url.origin;
  throw new ValidationError('INVALID_SALESFORCE_URL', `${what} must be https on a Salesforce domain (got ${url.origin})`, { field: what });
}

/** Whether a configured insecure host (see HostPolicy) names the URL's host: labels compared one by one, `*` any one. */
function hostMatches(pattern: string, url: URL): boolean {
  const [name, port] = pattern.toLowerCase().split(':');
  if (port !== undefined && port !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) return false;
  const want = name.split('.');
  const got = url.hostname.toLowerCase().split('.');
  return want.length === got.length && want.every((label, i) => label === '*' || label === got[i]);
}

/** The login host of an environment: production, sandbox, or a My Domain URL the user gives. */
export function loginUrlFor(environment: LoginEnvironment, policy: HostPolicy, myDomainUrl?: string): string {
  if (environment === 'production') return checkSalesforceUrl(policy.productionLoginUrl, policy, 'production login URL');
  if (environment === 'sandbox') return checkSalesforceUrl(policy.sandboxLoginUrl, policy, 'sandbox login URL');
  if (!myDomainUrl) throw new ValidationError('MY_DOMAIN_REQUIRED', 'a custom login needs myDomainUrl', { field: 'myDomainUrl' });
  return checkSalesforceUrl(myDomainUrl, policy, 'myDomainUrl');
}
