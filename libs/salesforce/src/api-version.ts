/**
 * The one Salesforce API version the connector speaks: Winter '25. Why this one, and when to move it:
 * docs/decisions/2026-12-01-salesforce-api-version.md.
 */
export const SALESFORCE_API_VERSION = '62.0';
