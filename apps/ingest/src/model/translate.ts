import type { ImportCounts, RecordLinkInput } from '@connector/persistence';
import { InboundModel, Row, convertFields, domainFromWebsite, emailOf, externalIdOf, modstampOf } from './inbound-model';
import { PublishBatch, SourceRecord } from './publish-batch';

/** Key of the snapshot time kept in a link's lastRead: change events committed at or before it are already in. */
export const SNAPSHOT_AT = '_snapshotAt';

export interface Translated {
  links: RecordLinkInput[];
  counts: ImportCounts;
  /** The membership side of contacts (orgs without AccountContactRelation). */
  memberships: ImportCounts;
}

export interface TranslateOptions {
  operation: 'UPSERT' | 'CREATE';
  /** Rows read by a query (import, re-read): their SystemModstamp marks what the snapshot holds. */
  snapshot: boolean;
  replayId?: string | null;
  /** Commit time of a change event (rows from events have no SystemModstamp). */
  modifiedAt?: number | null;
}

const zero = (): ImportCounts => ({ read: 0, published: 0, skipped: 0, failed: 0 });

function rejectedMessage(rejected: { field: string; reason: string }[]): string | null {
  return rejected.length ? `not converted, left out: ${rejected.map((r) => r.reason).join('; ')}` : null;
}

/** Whole Account records into account upserts (keyed by the External ID field) and links. */
export function translateAccounts(model: InboundModel, batch: PublishBatch, rows: Row[], options: TranslateOptions): Translated {
  const out: Translated = { links: [], counts: zero(), memberships: zero() };
  for (const row of rows) {
    out.counts.read += 1;
    const source = sourceOf('Account', row, options);
    const accountId = externalIdOf(model, row);
    if (!accountId) {
      out.counts.skipped += 1;
      batch.skip('ACCOUNT', options.operation, source, 'MISSING_KEY', model.externalIdField ? `the account has no ${model.externalIdField} (the External ID for Accounts)` : 'the connection has no External ID field for Accounts');
      continue;
    }
    const converted = convertFields(model.account, row);
    const domain = domainFromWebsite(row.Website);
    batch.upsertAccount({ accountId, domain, properties: converted.properties, source, operation: options.operation, message: rejectedMessage(converted.rejected) });
    out.counts.published += 1;
    const read: Record<string, unknown> = { ...converted.read, Website: row.Website ?? null, [model.externalIdField!]: accountId };
    if (options.snapshot) read[SNAPSHOT_AT] = source.modifiedAt;
    out.links.push({ kind: 'ACCOUNT', salesforceObject: 'Account', salesforceId: source.recordId, journyKey: accountId, lastRead: read });
  }
  return out;
}

/** Whole Contact records into user upserts (keyed by email) and links; memberships from AccountId where the org has no ACR. */
export function translateContacts(model: InboundModel, batch: PublishBatch, rows: Row[], options: TranslateOptions): Translated {
  const out: Translated = { links: [], counts: zero(), memberships: zero() };
  const byAccount = new Map<string, { accountId: string; source: SourceRecord; members: { email: string; source: SourceRecord }[] }>();
  for (const row of rows) {
    out.counts.read += 1;
    const source = sourceOf('Contact', row, options);
    const email = emailOf(row);
    if (!email) {
      out.counts.skipped += 1;
      batch.skip('USER', options.operation, source, 'MISSING_KEY', 'the contact has no email (journy users are keyed by email)');
      continue;
    }
    const converted = convertFields(model.contact, row);
    batch.upsertUser({ email, properties: converted.properties, source, operation: options.operation, message: rejectedMessage(converted.rejected) });
    out.counts.published += 1;
    const read: Record<string, unknown> = { ...converted.read, Email: row.Email ?? null, AccountId: row.AccountId ?? null };
    if (options.snapshot) read[SNAPSHOT_AT] = source.modifiedAt;
    out.links.push({ kind: 'USER', salesforceObject: 'Contact', salesforceId: source.recordId, journyKey: email, lastRead: read });
    if (!model.hasAccountContactRelation && typeof row.AccountId === 'string' && row.AccountId) {
      out.memberships.read += 1;
      const accountId = externalIdOf(model, row, 'Account.');
      if (!accountId) {
        out.memberships.skipped += 1;
        batch.skip('MEMBERSHIP', 'LINK', source, 'MISSING_KEY', `the contact's account ${row.AccountId} has no External ID value`, { email });
        continue;
      }
      const group = byAccount.get(row.AccountId) ?? { accountId, source: { objectType: 'Account', recordId: row.AccountId, modifiedAt: source.modifiedAt }, members: [] };
      group.members.push({ email, source });
      byAccount.set(row.AccountId, group);
      out.memberships.published += 1;
    }
  }
  for (const group of byAccount.values()) batch.members('ADD', group.accountId, group.source, group.members);
  return out;
}

/** AccountContactRelation rows (ordered by account) into membership commands of at most 100 users. */
export function translateRelations(model: InboundModel, batch: PublishBatch, rows: Row[], options: TranslateOptions, kind: 'ADD' | 'REMOVE' = 'ADD'): Translated {
  const out: Translated = { links: [], counts: zero(), memberships: zero() };
  let current: { accountSfId: string; accountId: string; source: SourceRecord; members: { email: string; source: SourceRecord }[] } | null = null;
  const flush = () => {
    if (current && current.members.length) batch.members(kind, current.accountId, current.source, current.members);
    current = null;
  };
  for (const row of rows) {
    out.counts.read += 1;
    const source = sourceOf('AccountContactRelation', row, options);
    const email = emailOf({ Email: row['Contact.Email'] });
    const accountId = externalIdOf(model, row, 'Account.');
    if (!email || !accountId) {
      out.counts.skipped += 1;
      batch.skip('MEMBERSHIP', kind === 'ADD' ? 'LINK' : 'UNLINK', source, 'MISSING_KEY', !email ? `contact ${String(row.ContactId)} has no email` : `account ${String(row.AccountId)} has no External ID value`, { email, accountId });
      continue;
    }
    const accountSfId = String(row.AccountId);
    if (!current || current.accountSfId !== accountSfId) {
      flush();
      current = { accountSfId, accountId, source: { objectType: 'Account', recordId: accountSfId, modifiedAt: source.modifiedAt, replayId: options.replayId ?? null }, members: [] };
    }
    current.members.push({ email, source });
    out.counts.published += 1;
  }
  flush();
  return out;
}

function sourceOf(objectType: string, row: Row, options: TranslateOptions): SourceRecord {
  return { objectType, recordId: String(row.Id), modifiedAt: options.modifiedAt ?? modstampOf(row), replayId: options.replayId ?? null };
}
