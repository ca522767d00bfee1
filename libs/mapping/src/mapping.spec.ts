import { canServeAsAccountId, fieldMetaFromDescribe, isMappable, validateMappings, TypedFieldMapping, SalesforceFieldMeta } from '.';
import contactFields from './fixtures/contact-fields.json';
import cases from './fixtures/mapping-cases.json';

const fields = new Map<string, SalesforceFieldMeta>(contactFields.map((f) => [f.name.toLowerCase(), fieldMetaFromDescribe(f)]));

describe('mapping validation (fixtures)', () => {
  it('accepts every valid mapping together', () => {
    expect(validateMappings('Contact', cases.valid as TypedFieldMapping[], fields)).toEqual([]);
  });

  it.each(cases.invalid.map((c) => [c.reason, c.mapping] as const))('rejects: %s', (reason, mapping) => {
    expect(validateMappings('Contact', [mapping as TypedFieldMapping], fields)).toEqual([{ index: 0, mapping: `${mapping.journyProperty} → ${mapping.salesforceField}`, reason }]);
  });

  it('rejects two mappings onto one field, naming the second', () => {
    const problems = validateMappings('Contact', [
      { journyProperty: 'a', journyType: 'string', salesforceField: 'Title' },
      { journyProperty: 'b', journyType: 'string', salesforceField: 'title' },
    ], fields);
    expect(problems).toEqual([{ index: 1, mapping: 'b → title', reason: 'Contact.Title is already written by mapping a → Title' }]);
  });
});

describe('field flags', () => {
  it('knows which fields are mappable and which can hold the account id', () => {
    expect(isMappable(fields.get('title')!)).toBe(true);
    expect(isMappable(fields.get('name')!)).toBe(false);
    expect(isMappable(fields.get('id')!)).toBe(false);
    expect(canServeAsAccountId(fields.get('journy_user_id__c')!)).toBe(true);
    expect(canServeAsAccountId(fields.get('title')!)).toBe(false);
    expect(canServeAsAccountId(fields.get('id')!)).toBe(false);
  });
});
