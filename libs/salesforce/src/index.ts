/**
 * The one place that talks to Salesforce (auth and token refresh, SOQL, collections, Bulk API 2.0, streaming).
 * Filled by the import and outbound issues; the API version lives here as a single constant.
 */
export const SALESFORCE_API_VERSION = '62.0';
