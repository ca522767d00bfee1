/** The one Salesforce API version the connector speaks. */
export const SALESFORCE_API_VERSION = '62.0';
