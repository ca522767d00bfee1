import type { CustomFieldSpec } from './metadata';
import type { Org } from './org';

/** Custom fields of every common type, as a demo org would have them (the seed can replace them). */
export const DEMO_CUSTOM_FIELDS: Record<string, CustomFieldSpec[]> = {
  Account: [
    { name: 'Journy_Account_Id__c', type: 'string', length: 255, externalId: true, unique: true, label: 'journy Account ID' },
    { name: 'Health_Score__c', type: 'percent', precision: 5, scale: 2 },
    { name: 'Lifecycle_Stage__c', type: 'picklist', picklistValues: ['Trial', 'Onboarding', 'Active', 'At Risk', 'Churned'], restrictedPicklist: true },
    { name: 'Segments__c', type: 'multipicklist', length: 4099, picklistValues: ['Enterprise', 'Mid-Market', 'SMB', 'PLG', 'Champions'] },
    { name: 'Last_Seen__c', type: 'datetime' },
    { name: 'Trial_Ends__c', type: 'date' },
    { name: 'MRR__c', type: 'currency', precision: 16, scale: 2 },
    { name: 'Seats__c', type: 'int', digits: 6 },
    { name: 'Is_Paying__c', type: 'boolean', nillable: false, defaultedOnCreate: true, defaultValue: false },
    { name: 'Notes__c', type: 'textarea', length: 2000 },
    { name: 'Support_Email__c', type: 'email', length: 80 },
    { name: 'Support_Phone__c', type: 'phone', length: 40 },
    { name: 'Portal_Url__c', type: 'url', length: 255 },
    { name: 'Rating__c', type: 'double', precision: 10, scale: 4 },
  ],
  Contact: [
    { name: 'Journy_User_Id__c', type: 'string', length: 255, externalId: true, unique: true, label: 'journy User ID' },
    { name: 'Engagement_Score__c', type: 'percent', precision: 5, scale: 2 },
    { name: 'Stage__c', type: 'picklist', picklistValues: ['Lead', 'Trial', 'Customer', 'Advocate'] },
    { name: 'Last_Active__c', type: 'datetime' },
    { name: 'Signup_Date__c', type: 'date' },
    { name: 'Is_Champion__c', type: 'boolean', nillable: false, defaultedOnCreate: true, defaultValue: false },
    { name: 'Seats_Used__c', type: 'int', digits: 6 },
    { name: 'Interests__c', type: 'multipicklist', length: 4099, picklistValues: ['Analytics', 'Automation', 'Integrations', 'Security'] },
    { name: 'Lifetime_Value__c', type: 'currency', precision: 16, scale: 2 },
    { name: 'Primary_Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Primary_Account__r' },
  ],
};

export interface SeedUser {
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  email: string;
}

export const DEFAULT_USERS: SeedUser[] = [
  { username: 'integration@journy-demo.example', password: 'emulator-password', firstName: 'journy', lastName: 'Integration', email: 'integration@journy-demo.example' },
  { username: 'rep.alex@journy-demo.example', password: 'emulator-password', firstName: 'Alex', lastName: 'Rep', email: 'rep.alex@journy-demo.example' },
  { username: 'rep.sam@journy-demo.example', password: 'emulator-password', firstName: 'Sam', lastName: 'Rep', email: 'rep.sam@journy-demo.example' },
];

export interface GeneratedSeed {
  accounts: number;
  /** Contacts in all; spread over the accounts (some without an account). */
  contacts: number;
  /** Extra (indirect) AccountContactRelations: contacts related to a second account. */
  relationships?: number;
  /** Share of contacts without an email (records the import must skip), 0..1. */
  contactsWithoutEmail?: number;
  /** Share of accounts without the external id value, 0..1. */
  accountsWithoutExternalId?: number;
  randomSeed?: number;
}

export interface SeedFile {
  users?: SeedUser[];
  customFields?: Record<string, CustomFieldSpec[]>;
  generate?: GeneratedSeed;
  /** Records by object; "$ref" names a record, and "@name" values point at it. */
  records?: Record<string, Record<string, unknown>[]>;
}

/** A small deterministic PRNG, so a seed gives the same org every time. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Cyberdyne', 'Soylent', 'Tyrell', 'Aperture', 'Vandelay', 'Prestige', 'Monarch', 'Gringotts'];
const SUFFIXES = ['Labs', 'Systems', 'Cloud', 'Analytics', 'Works', 'Digital', 'Software', 'Networks'];
const FIRST = ['Ann', 'Bert', 'Chloe', 'Dries', 'Emma', 'Femke', 'Gust', 'Hanne', 'Ines', 'Jules', 'Kato', 'Lotte', 'Mats', 'Nora', 'Otto', 'Pieter'];
const LAST = ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet'];

export function seedUsers(org: Org, users: SeedUser[]): { userId: string; username: string; password: string }[] {
  const out: { userId: string; username: string; password: string }[] = [];
  let integration: string | null = null;
  for (const user of users) {
    const existing = org.findBy('User', 'Username', user.username)[0];
    const id: string =
      existing ??
      org.seedInsert('User', { Username: user.username, Email: user.email, FirstName: user.firstName, LastName: user.lastName, Alias: (user.firstName.slice(0, 1) + user.lastName).slice(0, 8) }, integration ?? '005000000000000AAA');
    integration ??= id;
    out.push({ userId: id, username: user.username, password: user.password });
  }
  return out;
}

/** Generates accounts, contacts and relationships quickly (a million records in seconds), with no change events. */
export function generate(org: Org, spec: GeneratedSeed, ownerIds: string[]): { accounts: number; contacts: number; relationships: number } {
  const random = prng(spec.randomSeed ?? 42);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const hasExternalId = org.schema.object('Account')!.fields.has('journy_account_id__c');
  const accountIds: string[] = [];
  const base = Date.now() - 30 * 86_400_000;
  for (let i = 0; i < spec.accounts; i++) {
    const name = `${pick(WORDS)} ${pick(SUFFIXES)} ${i + 1}`;
    const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example`;
    const fields: Record<string, unknown> = { Name: name, Website: `https://www.${domain}`, Industry: pick(['Technology', 'Finance', 'Retail', 'Healthcare', 'Media']) };
    if (hasExternalId && random() >= (spec.accountsWithoutExternalId ?? 0)) fields.Journy_Account_Id__c = `acc-${i + 1}`;
    accountIds.push(org.seedInsert('Account', fields, pick(ownerIds), base + i));
  }
  const contactIds: string[] = [];
  for (let i = 0; i < spec.contacts; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const fields: Record<string, unknown> = { FirstName: first, LastName: last, Phone: `+32 2 ${String(1_000_000 + i).slice(-7)}` };
    if (random() >= (spec.contactsWithoutEmail ?? 0)) fields.Email = `${first}.${last.replace(/\s+/g, '')}.${i + 1}@example.com`.toLowerCase();
    if (accountIds.length > 0) fields.AccountId = accountIds[i % accountIds.length];
    contactIds.push(org.seedInsert('Contact', fields, pick(ownerIds), base + i));
  }
  let relationships = 0;
  for (let i = 0; i < (spec.relationships ?? 0) && accountIds.length > 1 && contactIds.length > 0; i++) {
    const contactId = contactIds[i % contactIds.length];
    const accountId = accountIds[(i + 1 + Math.floor(i / contactIds.length)) % accountIds.length];
    if (org.get('Contact', contactId)?.AccountId === accountId) continue;
    try {
      org.seedInsert('AccountContactRelation', { AccountId: accountId, ContactId: contactId, Roles: 'Influencer' }, pick(ownerIds), base + i);
      relationships++;
    } catch {
      // already related
    }
  }
  return { accounts: accountIds.length, contacts: contactIds.length, relationships };
}

/** Explicit records from a seed file, in object order, resolving "@ref" values to the ids created before. */
export function loadRecords(org: Org, records: Record<string, Record<string, unknown>[]>, ownerId: string): Record<string, string> {
  const refs: Record<string, string> = {};
  const order = ['User', 'Account', 'Contact', 'AccountContactRelation', ...Object.keys(records)];
  for (const objectName of [...new Set(order)]) {
    for (const record of records[objectName] ?? []) {
      const { $ref, ...fields } = record;
      for (const [key, value] of Object.entries(fields)) {
        if (typeof value === 'string' && value.startsWith('@')) {
          const target = refs[value.slice(1)];
          if (!target) throw new Error(`seed: ${objectName}.${key} points at unknown record ${value}`);
          fields[key] = target;
        }
      }
      const id = org.seedInsert(objectName, fields, ownerId);
      if (typeof $ref === 'string') refs[$ref] = id;
    }
  }
  return refs;
}
