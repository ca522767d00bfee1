/** Describe metadata: the single definition that drives describe responses, SOQL, validation and CDC bodies. */

export type FieldType =
  | 'id' | 'string' | 'textarea' | 'email' | 'phone' | 'url' | 'picklist' | 'multipicklist'
  | 'int' | 'double' | 'currency' | 'percent' | 'boolean' | 'date' | 'datetime' | 'reference';

export interface FieldSpec {
  name: string;
  type: FieldType;
  label?: string;
  length?: number;
  precision?: number;
  scale?: number;
  digits?: number;
  nillable?: boolean;
  createable?: boolean;
  updateable?: boolean;
  unique?: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  defaultedOnCreate?: boolean;
  defaultValue?: unknown;
  picklistValues?: string[];
  restrictedPicklist?: boolean;
  referenceTo?: string[];
  relationshipName?: string | null;
  calculated?: boolean;
  caseSensitive?: boolean;
}

export interface FieldDef extends Required<Omit<FieldSpec, 'defaultValue' | 'picklistValues' | 'referenceTo' | 'relationshipName'>> {
  defaultValue: unknown;
  picklistValues: string[];
  referenceTo: string[];
  relationshipName: string | null;
  custom: boolean;
}

export interface ChildRelationship {
  relationshipName: string;
  childSObject: string;
  field: string;
  cascadeDelete: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: Map<string, FieldDef>; // by lower-cased name
  fieldOrder: string[];
  childRelationships: ChildRelationship[];
  /** Relationship name (lower-cased) → the reference field that backs it. */
  parentRelationships: Map<string, FieldDef>;
}

const SYSTEM_READONLY = { createable: false, updateable: false, nillable: false, defaultedOnCreate: true };

function field(spec: FieldSpec, custom = false): FieldDef {
  const type = spec.type;
  const textual = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(type);
  const length = spec.length ?? (type === 'id' || type === 'reference' ? 18 : textual ? 255 : 0);
  return {
    name: spec.name,
    type,
    label: spec.label ?? spec.name.replace(/__c$/, '').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2'),
    length,
    precision: spec.precision ?? (['double', 'currency', 'percent'].includes(type) ? 18 : 0),
    scale: spec.scale ?? (['double', 'currency', 'percent'].includes(type) ? 2 : 0),
    digits: spec.digits ?? (type === 'int' ? 9 : 0),
    nillable: spec.nillable ?? true,
    createable: spec.createable ?? true,
    updateable: spec.updateable ?? true,
    unique: spec.unique ?? false,
    externalId: spec.externalId ?? false,
    idLookup: spec.idLookup ?? (spec.externalId || type === 'id' ? true : false),
    defaultedOnCreate: spec.defaultedOnCreate ?? false,
    defaultValue: spec.defaultValue ?? null,
    picklistValues: spec.picklistValues ?? [],
    restrictedPicklist: spec.restrictedPicklist ?? false,
    referenceTo: spec.referenceTo ?? [],
    relationshipName: spec.relationshipName ?? null,
    calculated: spec.calculated ?? false,
    caseSensitive: spec.caseSensitive ?? false,
    custom,
  };
}

function systemFields(): FieldSpec[] {
  return [
    { name: 'Id', type: 'id', ...SYSTEM_READONLY, idLookup: true },
    { name: 'IsDeleted', type: 'boolean', ...SYSTEM_READONLY },
    { name: 'CreatedDate', type: 'datetime', ...SYSTEM_READONLY },
    { name: 'CreatedById', type: 'reference', referenceTo: ['User'], relationshipName: 'CreatedBy', ...SYSTEM_READONLY },
    { name: 'LastModifiedDate', type: 'datetime', ...SYSTEM_READONLY },
    { name: 'LastModifiedById', type: 'reference', referenceTo: ['User'], relationshipName: 'LastModifiedBy', ...SYSTEM_READONLY },
    { name: 'SystemModstamp', type: 'datetime', ...SYSTEM_READONLY },
  ];
}

const INDUSTRIES = ['Agriculture', 'Banking', 'Education', 'Energy', 'Finance', 'Healthcare', 'Manufacturing', 'Media', 'Retail', 'Technology', 'Other'];

export interface ObjectSpec {
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldSpec[];
}

export const STANDARD_OBJECTS: Record<string, ObjectSpec> = {
  Account: {
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    fields: [
      ...systemFields(),
      { name: 'Name', type: 'string', length: 255, nillable: false },
      { name: 'Website', type: 'url', length: 255 },
      { name: 'Phone', type: 'phone', length: 40 },
      { name: 'Industry', type: 'picklist', length: 255, picklistValues: INDUSTRIES },
      { name: 'Type', type: 'picklist', length: 255, picklistValues: ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'] },
      { name: 'AnnualRevenue', type: 'currency', precision: 18, scale: 0 },
      { name: 'NumberOfEmployees', type: 'int', digits: 8 },
      { name: 'Description', type: 'textarea', length: 32000 },
      { name: 'BillingCity', type: 'string', length: 40 },
      { name: 'BillingCountry', type: 'string', length: 80 },
      { name: 'OwnerId', type: 'reference', referenceTo: ['User'], relationshipName: 'Owner', nillable: false, defaultedOnCreate: true },
    ],
  },
  Contact: {
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    fields: [
      ...systemFields(),
      { name: 'AccountId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account' },
      { name: 'Salutation', type: 'picklist', length: 40, picklistValues: ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'] },
      { name: 'FirstName', type: 'string', length: 40 },
      { name: 'LastName', type: 'string', length: 80, nillable: false },
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false, calculated: true, nillable: false },
      { name: 'Email', type: 'email', length: 80, idLookup: true },
      { name: 'Phone', type: 'phone', length: 40 },
      { name: 'MobilePhone', type: 'phone', length: 40 },
      { name: 'Title', type: 'string', length: 128 },
      { name: 'Department', type: 'string', length: 80 },
      { name: 'LeadSource', type: 'picklist', length: 255, picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'] },
      { name: 'Birthdate', type: 'date' },
      { name: 'HasOptedOutOfEmail', type: 'boolean', nillable: false, defaultedOnCreate: true, defaultValue: false },
      { name: 'Description', type: 'textarea', length: 32000 },
      { name: 'OwnerId', type: 'reference', referenceTo: ['User'], relationshipName: 'Owner', nillable: false, defaultedOnCreate: true },
    ],
  },
  AccountContactRelation: {
    label: 'Account Contact Relationship',
    labelPlural: 'Account Contact Relationships',
    keyPrefix: '07k',
    fields: [
      ...systemFields(),
      { name: 'AccountId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account', nillable: false, updateable: false },
      { name: 'ContactId', type: 'reference', referenceTo: ['Contact'], relationshipName: 'Contact', nillable: false, updateable: false },
      { name: 'IsDirect', type: 'boolean', createable: false, updateable: false, nillable: false, defaultedOnCreate: true, defaultValue: false },
      { name: 'IsActive', type: 'boolean', nillable: false, defaultedOnCreate: true, defaultValue: true },
      { name: 'Roles', type: 'multipicklist', length: 4099, picklistValues: ['Business User', 'Decision Maker', 'Economic Buyer', 'Economic Decision Maker', 'Evaluator', 'Executive Sponsor', 'Influencer', 'Technical Buyer', 'Other'] },
      { name: 'StartDate', type: 'date' },
      { name: 'EndDate', type: 'date' },
    ],
  },
  User: {
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: '005',
    fields: [
      ...systemFields(),
      { name: 'Username', type: 'string', length: 80, nillable: false, unique: true, idLookup: true },
      { name: 'Email', type: 'email', length: 128, nillable: false },
      { name: 'FirstName', type: 'string', length: 40 },
      { name: 'LastName', type: 'string', length: 80, nillable: false },
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false, calculated: true, nillable: false },
      { name: 'Alias', type: 'string', length: 8, nillable: false },
      { name: 'IsActive', type: 'boolean', nillable: false, defaultedOnCreate: true, defaultValue: true },
    ],
  },
};

/** The org's own record (`SELECT … FROM Organization`): read-only through the API, one row. */
const ORGANIZATION: ObjectSpec = {
  label: 'Organization',
  labelPlural: 'Organizations',
  keyPrefix: '00D',
  fields: [
    ...systemFields(),
    { name: 'Name', type: 'string', length: 80, nillable: false, createable: false },
    { name: 'Division', type: 'string', length: 80, createable: false },
    { name: 'Country', type: 'string', length: 80, createable: false },
    { name: 'IsSandbox', type: 'boolean', nillable: false, createable: false, updateable: false, defaultedOnCreate: true, defaultValue: false },
    { name: 'OrganizationType', type: 'picklist', length: 40, createable: false, updateable: false, picklistValues: ['Developer Edition', 'Enterprise Edition', 'Unlimited Edition', 'Professional Edition'] },
    { name: 'InstanceName', type: 'string', length: 5, createable: false, updateable: false },
    { name: 'NamespacePrefix', type: 'string', length: 15, createable: false, updateable: false },
    { name: 'TrialExpirationDate', type: 'datetime', createable: false, updateable: false },
    { name: 'LanguageLocaleKey', type: 'picklist', length: 40, createable: false, picklistValues: ['en_US'] },
    { name: 'DefaultLocaleSidKey', type: 'picklist', length: 40, createable: false, picklistValues: ['en_US', 'nl_BE'] },
    { name: 'TimeZoneSidKey', type: 'picklist', length: 40, createable: false, picklistValues: ['Europe/Brussels', 'America/Los_Angeles'] },
  ],
};
STANDARD_OBJECTS.Organization = ORGANIZATION;

/** The Tooling API's objects the emulator serves: one EntityDefinition row per object of the org. */
export const TOOLING_OBJECTS: Record<string, ObjectSpec> = {
  EntityDefinition: {
    label: 'Entity Definition',
    labelPlural: 'Entity Definitions',
    keyPrefix: '4ie',
    fields: [
      ...systemFields(),
      { name: 'DurableId', type: 'string', length: 18, createable: false, updateable: false },
      { name: 'QualifiedApiName', type: 'string', length: 250, createable: false, updateable: false },
      { name: 'DeveloperName', type: 'string', length: 40, createable: false, updateable: false },
      { name: 'NamespacePrefix', type: 'string', length: 15, createable: false, updateable: false },
      { name: 'Label', type: 'string', length: 40, createable: false, updateable: false },
      { name: 'PluralLabel', type: 'string', length: 40, createable: false, updateable: false },
      { name: 'KeyPrefix', type: 'string', length: 3, createable: false, updateable: false },
      { name: 'IsCustomizable', type: 'boolean', createable: false, updateable: false, defaultValue: true },
      { name: 'IsQueryable', type: 'boolean', createable: false, updateable: false, defaultValue: true },
    ],
  },
};

/** Objects the API can read but not create or delete. */
export const READ_ONLY_OBJECTS = new Set(['User', 'Organization', 'EntityDefinition']);

/** Custom fields an org can add to an object (seed option), each with the flags of its type. */
export type CustomFieldSpec = FieldSpec;

export class Schema {
  readonly objects = new Map<string, ObjectDef>(); // by lower-cased name

  constructor(customFields: Record<string, CustomFieldSpec[]> = {}, objects: Record<string, ObjectSpec> = STANDARD_OBJECTS) {
    for (const [name, definition] of Object.entries(objects)) {
      const fields = new Map<string, FieldDef>();
      const order: string[] = [];
      const add = (def: FieldDef) => {
        fields.set(def.name.toLowerCase(), def);
        order.push(def.name);
      };
      definition.fields.forEach((spec) => add(field(spec)));
      for (const spec of customFields[name] ?? []) {
        if (!spec.name.endsWith('__c')) throw new Error(`custom field ${name}.${spec.name} must end with __c`);
        add(field(spec, true));
      }
      this.objects.set(name.toLowerCase(), {
        name,
        label: definition.label,
        labelPlural: definition.labelPlural,
        keyPrefix: definition.keyPrefix,
        fields,
        fieldOrder: order,
        childRelationships: [],
        parentRelationships: new Map(),
      });
    }
    // Relationships both ways, from the reference fields.
    for (const object of this.objects.values()) {
      for (const def of object.fields.values()) {
        if (def.type !== 'reference' || !def.relationshipName) continue;
        object.parentRelationships.set(def.relationshipName.toLowerCase(), def);
      }
    }
    const child = (parent: string, relationshipName: string, childSObject: string, fieldName: string, cascadeDelete: boolean) =>
      this.object(parent)?.childRelationships.push({ relationshipName, childSObject, field: fieldName, cascadeDelete });
    child('Account', 'Contacts', 'Contact', 'AccountId', true);
    child('Account', 'AccountContactRelations', 'AccountContactRelation', 'AccountId', true);
    child('Contact', 'AccountContactRelations', 'AccountContactRelation', 'ContactId', true);
  }

  object(name: string): ObjectDef | undefined {
    return this.objects.get(name.toLowerCase());
  }

  /** An admin adds a custom field to an object (describe, queries and change-event schemas show it from now on). */
  addCustomField(objectName: string, spec: CustomFieldSpec): FieldDef {
    const object = this.object(objectName);
    if (!object) throw new Error(`unknown object ${objectName}`);
    if (!spec.name.endsWith('__c')) throw new Error(`custom field ${objectName}.${spec.name} must end with __c`);
    if (object.fields.has(spec.name.toLowerCase())) throw new Error(`${objectName}.${spec.name} exists`);
    const def = field(spec, true);
    object.fields.set(def.name.toLowerCase(), def);
    object.fieldOrder.push(def.name);
    return def;
  }

  byPrefix(id: string): ObjectDef | undefined {
    const prefix = id.slice(0, 3);
    for (const object of this.objects.values()) if (object.keyPrefix === prefix) return object;
    return undefined;
  }
}

/** The describe JSON of one field, with every key Salesforce sends. */
export function describeField(def: FieldDef): Record<string, unknown> {
  const textual = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(def.type);
  const soapType: Record<FieldType, string> = {
    id: 'tns:ID', reference: 'tns:ID', string: 'xsd:string', textarea: 'xsd:string', email: 'xsd:string', phone: 'xsd:string', url: 'xsd:string',
    picklist: 'xsd:string', multipicklist: 'xsd:string', int: 'xsd:int', double: 'xsd:double', currency: 'xsd:double', percent: 'xsd:double',
    boolean: 'xsd:boolean', date: 'xsd:date', datetime: 'xsd:dateTime',
  };
  return {
    aggregatable: def.type !== 'textarea', aiPredictionField: false, autoNumber: false,
    byteLength: textual ? def.length * 3 : def.type === 'id' || def.type === 'reference' ? 18 : 0,
    calculated: def.calculated, calculatedFormula: null, cascadeDelete: false, caseSensitive: def.caseSensitive, compoundFieldName: def.name === 'FirstName' || def.name === 'LastName' || def.name === 'Salutation' ? 'Name' : null,
    controllerName: null, createable: def.createable, custom: def.custom, defaultValue: def.defaultValue, defaultValueFormula: null,
    defaultedOnCreate: def.defaultedOnCreate, dependentPicklist: false, deprecatedAndHidden: false, digits: def.digits, displayLocationInDecimal: false,
    encrypted: false, externalId: def.externalId, extraTypeInfo: def.type === 'textarea' && def.length > 255 ? 'plaintextarea' : null,
    filterable: def.type !== 'textarea', filteredLookupInfo: null, formulaTreatNullNumberAsZero: false, groupable: !['double', 'currency', 'percent', 'textarea', 'datetime'].includes(def.type),
    highScaleNumber: false, htmlFormatted: false, idLookup: def.idLookup, inlineHelpText: null, label: def.label,
    length: textual ? def.length : def.type === 'id' || def.type === 'reference' ? 18 : 0, mask: null, maskType: null, name: def.name,
    nameField: def.name === 'Name', namePointing: false, nillable: def.nillable, permissionable: def.custom || (def.nillable && def.createable),
    picklistValues: def.picklistValues.map((value) => ({ active: true, defaultValue: false, label: value, validFor: null, value })),
    polymorphicForeignKey: false, precision: def.precision, queryByDistance: false, referenceTargetField: null, referenceTo: def.referenceTo,
    relationshipName: def.relationshipName, relationshipOrder: null, restrictedDelete: false, restrictedPicklist: def.restrictedPicklist,
    scale: def.scale, searchPrefilterable: false, soapType: soapType[def.type], sortable: def.type !== 'textarea', type: def.type,
    unique: def.unique, updateable: def.updateable, writeRequiresMasterRead: false,
  };
}

export function describeObject(object: ObjectDef, version: string): Record<string, unknown> {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return {
    actionOverrides: [], activateable: false, associateEntityType: null, associateParentEntity: null,
    childRelationships: object.childRelationships.map((r) => ({
      cascadeDelete: r.cascadeDelete, childSObject: r.childSObject, deprecatedAndHidden: false, field: r.field, junctionIdListNames: [],
      junctionReferenceTo: [], relationshipName: r.relationshipName, restrictedDelete: false,
    })),
    compactLayoutable: true, createable: !READ_ONLY_OBJECTS.has(object.name), custom: false, customSetting: false, deepCloneable: false, defaultImplementation: null,
    deletable: !READ_ONLY_OBJECTS.has(object.name), deprecatedAndHidden: false, extendedBy: null, extendsInterfaces: null, feedEnabled: true,
    fields: object.fieldOrder.map((name) => describeField(object.fields.get(name.toLowerCase())!)),
    hasSubtypes: false, implementedBy: null, implementsInterfaces: null, isInterface: false, isSubtype: false, keyPrefix: object.keyPrefix,
    label: object.label, labelPlural: object.labelPlural, layoutable: true, listviewable: null, lookupLayoutable: null, mergeable: !READ_ONLY_OBJECTS.has(object.name),
    mruEnabled: true, name: object.name, namedLayoutInfos: [], networkScopeFieldName: null, queryable: true,
    recordTypeInfos: [{ active: true, available: true, defaultRecordTypeMapping: true, developerName: 'Master', master: true, name: 'Master', recordTypeId: '012000000000000AAA', urls: { layout: `${base}/describe/layouts/012000000000000AAA` } }],
    replicateable: true, retrieveable: true, searchLayoutable: true, searchable: true, sobjectDescribeOption: 'FULL', supportedScopes: [{ label: 'All', name: 'everything' }],
    triggerable: true, undeletable: !READ_ONLY_OBJECTS.has(object.name), updateable: true,
    urls: {
      compactLayouts: `${base}/describe/compactLayouts`, rowTemplate: `${base}/{ID}`, approvalLayouts: `${base}/describe/approvalLayouts`,
      uiDetailTemplate: `https://emulator/{ID}`, uiEditTemplate: `https://emulator/{ID}/e`, defaultValues: `${base}/defaultValues?recordTypeId&fields`,
      listviews: `${base}/listviews`, describe: `${base}/describe`, uiNewRecord: `https://emulator/${object.keyPrefix}/e`, quickActions: `${base}/quickActions`,
      layouts: `${base}/describe/layouts`, sobject: base,
    },
  };
}

export function globalDescribeEntry(object: ObjectDef, version: string): Record<string, unknown> {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return {
    activateable: false, createable: !READ_ONLY_OBJECTS.has(object.name), custom: false, customSetting: false, deletable: !READ_ONLY_OBJECTS.has(object.name), deprecatedAndHidden: false,
    feedEnabled: true, hasSubtypes: false, isSubtype: false, keyPrefix: object.keyPrefix, label: object.label, labelPlural: object.labelPlural,
    layoutable: true, mergeable: !READ_ONLY_OBJECTS.has(object.name), mruEnabled: true, name: object.name, queryable: true, replicateable: true, retrieveable: true,
    searchable: true, triggerable: true, undeletable: !READ_ONLY_OBJECTS.has(object.name), updateable: true,
    urls: { rowTemplate: `${base}/{ID}`, describe: `${base}/describe`, sobject: base },
  };
}
