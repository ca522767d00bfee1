import type { Connection, SalesforceField } from './api-types';
import { externalIdCandidates, fitOf, formOf, patchOf, rebase, tabOf } from './settings-form';

const connection: Connection = {
  id: 'con_000000000000000000000001', name: 'Salesforce', enabled: true, status: 'CONNECTED', statusReason: null,
  salesforce: { orgId: '00D', instanceUrl: 'https://x.my.salesforce.com', environment: 'production', username: 'admin@x' },
  settings: {
    accountExternalIdField: null,
    source: { ongoingImport: true, changeStream: null },
    destination: {
      userSegments: ['trial'], accountSegments: [], createContacts: false, createAccounts: false,
      contactMappings: [{ journyProperty: 'plan', journyType: 'string', salesforceField: 'Title' }], accountMappings: [],
      defaultContactMappings: [], defaultAccountMappings: [],
    },
  },
  revision: 4, createdAt: '', updatedAt: '',
};

const field = (over: Partial<SalesforceField>): SalesforceField => ({ name: 'Title', label: 'Title', type: 'string', updateable: true, createable: true, externalId: false, unique: false, mappable: true, accepts: ['string'], ...over });

describe('the settings form', () => {
  it('sends nothing when nothing changed', () => {
    expect(patchOf(connection, formOf(connection))).toBeNull();
  });

  it('sends only what changed, tab by tab, with the revision it was read at', () => {
    const form = formOf(connection);
    form.name = '  Sales org  ';
    form.changeStream = 'cometd';
    form.createContacts = true;
    form.contactMappings.push({ journyProperty: 'seats', journyType: 'number', salesforceField: 'Seats__c' });
    expect(patchOf(connection, form)).toEqual({
      expectedRevision: 4,
      name: 'Sales org',
      source: { changeStream: 'cometd' },
      destination: { createContacts: true, contactMappings: [connection.settings.destination.contactMappings[0], { journyProperty: 'seats', journyType: 'number', salesforceField: 'Seats__c' }] },
    });
    expect(connection.settings.destination.contactMappings).toHaveLength(1);
  });

  it("says whether a field takes a journy type, and why not", () => {
    expect(fitOf(field({}), 'string')).toEqual({ ok: true, why: null });
    expect(fitOf(field({ type: 'double', accepts: ['number'] }), 'string').why).toBe('Title (double) does not accept string; it accepts number');
    expect(fitOf(field({ mappable: false, type: 'id' }), 'string').why).toContain('cannot be written');
    expect(fitOf(undefined, 'string').why).toBe('the org has no such field');
  });

  it('offers only fields that can serve as the account ID', () => {
    const fields = [field({ name: 'Domain__c', label: 'Domain', canServeAsAccountId: true }), field({ name: 'Name', label: 'Name', canServeAsAccountId: false })];
    expect(externalIdCandidates(fields).map((f) => f.name)).toEqual(['Domain__c']);
  });
});

describe('a save over newer settings', () => {
  it("keeps the person's edits and the other save's changes", () => {
    const form = formOf(connection);
    form.createAccounts = true;
    const latest: Connection = { ...connection, revision: 5, name: 'Renamed elsewhere', settings: { ...connection.settings, destination: { ...connection.settings.destination, userSegments: ['paying'] } } };
    const rebased = rebase(form, connection, latest);
    expect(rebased).toMatchObject({ name: 'Renamed elsewhere', userSegments: ['paying'], createAccounts: true });
    expect(patchOf(latest, rebased)).toEqual({ expectedRevision: 5, destination: { createAccounts: true } });
  });

  it('finds the tab of the field an error names', () => {
    expect(tabOf('destination.contactMappings[0]')).toBe('destination');
    expect(tabOf('source.changeStream')).toBe('source');
    expect(tabOf('accountExternalIdField')).toBe('connection');
    expect(tabOf(null)).toBeNull();
  });
});
