/**
 * Pure journy property ↔ Salesforce field conversion and mapping validation, driven by describe metadata.
 * The default mappings of the product document are fixed here; the engine arrives with the settings issue.
 */
export interface DefaultMapping {
  journyProperty: string;
  salesforceField: string;
}

export const DEFAULT_CONTACT_MAPPINGS: readonly DefaultMapping[] = [
  { journyProperty: 'email', salesforceField: 'Email' },
  { journyProperty: 'first_name', salesforceField: 'FirstName' },
  { journyProperty: 'last_name', salesforceField: 'LastName' },
  { journyProperty: 'phone', salesforceField: 'Phone' },
];

export const DEFAULT_ACCOUNT_MAPPINGS: readonly DefaultMapping[] = [
  { journyProperty: 'domain', salesforceField: 'Website' },
  { journyProperty: 'name', salesforceField: 'Name' },
];
