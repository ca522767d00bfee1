import type { SyncLogRecord } from '@connector/kafka';
import type { SalesforceValue } from '@connector/mapping';
import type { Connection, OutboundLink, OutboundLinksRepository, RecordLinksRepository, WrittenRecord } from '@connector/persistence';
import { RecordWriter, lookupChunks, queryRecords, soqlIn, soqlSelect, type RecordResult, type SalesforceRestClient, type WriteRecord } from '@connector/salesforce';
import { emptyMemory, planEntity, type EntityMemory, type Intent, type MembershipChange } from '../model/plan';
import { entityKey, type EntityKind, type ProfileEvent } from '../model/profile-event';
import type { ConnectionContext } from './connection-context';
import { entityCacheKey } from './entity-cache-key';
import { contactFromLookup, matchContact, matchFoundAccount, matchLinkedAccount } from './matcher';
import { planMemberships, type ContactMatch } from './membership-planner';
import { OutcomeLog } from './outcome-log';
import type { LruCache } from './state-cache';

/** What the app keeps of an entity between batches: its memory and its stored link. */
export interface CachedEntity {
  memory: EntityMemory;
  link: OutboundLink | null;
}

/**
 * What the store knows of a connection's records, read once (per process and rebalance) for connections of a
 * size memory can hold: every outbound link (so a missing one needs no read), and the records the import and
 * live capture linked, by journy key (so most first writes need no lookup).
 */
export interface Directory {
  complete: boolean;
  /** Lower-cased email → contact ids. */
  contacts: Map<string, string[]>;
  /** External ID value → account ids. */
  accounts: Map<string, string[]>;
}

export interface ConnectionSyncDeps {
  directory: Directory;
  /** Publishes sync-log lines (acknowledged when it resolves). */
  publish: (logs: SyncLogRecord[]) => Promise<void>;
  links: OutboundLinksRepository;
  recordLinks: RecordLinksRepository;
  cache: LruCache<CachedEntity>;
  bulkMinRecords: number;
  onCall: (kind: 'collections' | 'bulk' | 'query') => void;
  /** Told when the batch has had its last Salesforce answer: what is left is the store's and Kafka's. */
  onSalesforceDone?: () => void;
}

export interface SyncOutcome {
  /** The lines logged (already published). */
  logs: SyncLogRecord[];
  /** Records written (successfully) to Salesforce. */
  applied: number;
  /** Event time → written, ms, per written record. */
  latencies: number[];
  /** Where the time went (ms): planning with link reads, account lookups and writes, contacts, link and written-value saves, the log publish. */
  timings: { planMs: number; accountsMs: number; contactsMs: number; linksMs: number; logMs: number };
}

/** The longest value a lookup field can hold when describe does not say (text External ID fields: 255). */
const DEFAULT_KEY_LENGTH = 255;

/**
 * Applies one batch of profile events to one connection: plans every entity (segments, mappings, no-ops,
 * echoes), finds the Salesforce records (stored links first, then one SOQL query for many keys), writes in
 * batches (accounts first, so contacts can be attached to them), and logs every record's outcome. Memory and
 * links are kept only for what Salesforce accepted. A failure of the call itself (5xx, timeout, quota) throws:
 * nothing of the batch is remembered and the whole batch is applied again (idempotently) later.
 */
export class ConnectionSync {
  private readonly writer: RecordWriter;
  private readonly outcomes: OutcomeLog;
  private readonly linksToSave = new Map<string, OutboundLink>();
  /** What the batch wrote to each record, by Salesforce id: stored for live capture's and re-reads' echo rules. */
  private readonly written = new Map<string, WrittenRecord>();
  private readonly memories = new Map<string, EntityMemory>();
  private applied = 0;
  private readonly latencies: number[] = [];
  /** Updates by Id queued by accounts and contacts, sent together. */
  private readonly updates: { object: 'Account' | 'Contact'; record: WriteRecord; settle: (result: RecordResult) => void }[] = [];
  private readonly timings: SyncOutcome['timings'] = { planMs: 0, accountsMs: 0, contactsMs: 0, linksMs: 0, logMs: 0 };

  constructor(
    private readonly deps: ConnectionSyncDeps,
    private readonly connection: Connection,
    private readonly client: SalesforceRestClient,
    private readonly context: ConnectionContext,
  ) {
    this.writer = new RecordWriter(client, { bulkMinRecords: deps.bulkMinRecords, onCall: deps.onCall });
    this.outcomes = new OutcomeLog({ tenantId: connection.tenantId, connectionId: connection.id });
  }

  async run(events: ProfileEvent[]): Promise<SyncOutcome> {
    let mark = Date.now();
    const lap = (name: keyof SyncOutcome['timings']) => { const now = Date.now(); this.timings[name] += now - mark; mark = now; };
    const users = await this.plan('USER', events.filter((e) => e.entityType === 'USER'));
    const accounts = await this.plan('ACCOUNT', events.filter((e) => e.entityType === 'ACCOUNT'));
    lap('planMs');
    const accountIds = await this.writeAccounts(accounts);
    lap('accountsMs');
    await this.writeContacts(users, [...users, ...accounts].flatMap((i) => i.memberships), accountIds);
    lap('contactsMs');
    this.deps.onSalesforceDone?.();
    // Links and written values stored, then the log lines: a SUCCEEDED line means ingest's re-reads already know
    // the value as this connector's own (an echo). All before the batch counts as done (offsets commit after).
    await Promise.all([
      this.deps.links.save([...this.linksToSave.values()]),
      this.deps.recordLinks.recordWrittenMany(this.connection.tenantId, this.connection.id, [...this.written.values()]),
    ]);
    lap('linksMs');
    await this.deps.publish(this.outcomes.lines);
    lap('logMs');
    for (const [key, memory] of this.memories) {
      const cached = this.deps.cache.get(key);
      this.deps.cache.set(key, { memory, link: this.linksToSave.get(key) ?? cached?.link ?? null });
    }
    return { logs: this.outcomes.lines, applied: this.applied, latencies: this.latencies, timings: this.timings };
  }

  // ---------------------------------------------------------------------------------------------------------
  // planning

  private async plan(kind: EntityKind, events: ProfileEvent[]): Promise<Intent[]> {
    const byEntity = new Map<string, ProfileEvent[]>();
    for (const event of events) {
      const key = entityKey(event)!;
      const list = byEntity.get(key) ?? [];
      list.push(event);
      byEntity.set(key, list);
    }
    const entries = await this.entries(kind, [...byEntity.keys()]);
    const rules = kind === 'USER' ? this.context.users : this.context.accounts;
    const intents: Intent[] = [];
    for (const [key, list] of byEntity) {
      const cached = entries.get(key)!;
      const intent = planEntity(rules, list, cached.memory);
      intents.push(intent);
      for (const skip of intent.skips) {
        const event = list.find((e) => e.eventId === skip.eventId)!;
        this.outcomes.eventSkipped(intent, skip, event.entity, cached.link?.salesforceId ?? null);
      }
      // Segments are stored only where they decide something (the connection filters by them).
      const segmentsChanged = rules.segments.length > 0 && intent.next.segments !== null && JSON.stringify(intent.next.segments) !== JSON.stringify(cached.link?.segments ?? null);
      if (segmentsChanged) this.keepLink(kind, key, { ...(cached.link ?? this.newLink(kind, key)), segments: intent.next.segments });
      if (!intent.inScope || (Object.keys(intent.fields).length === 0 && intent.rejected.length === 0 && intent.memberships.length === 0)) {
        if (intent.inScope && intent.skips.length === 0) this.outcomes.unchanged(intent, cached.link?.salesforceId ?? null);
        this.memories.set(this.cacheKey(kind, key), intent.next);
      }
    }
    return intents;
  }

  /** Cached entities, with the stored links of those not in memory (read by _id). */
  private async entries(kind: EntityKind, keys: string[]): Promise<Map<string, CachedEntity>> {
    const out = new Map<string, CachedEntity>();
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.deps.cache.get(this.cacheKey(kind, key));
      if (cached) out.set(key, cached);
      else missing.push(key);
    }
    const stored = this.deps.directory.complete ? new Map<string, OutboundLink>() : await this.deps.links.find(this.connection.tenantId, this.connection.id, kind, missing);
    for (const key of missing) {
      const link = stored.get(key) ?? null;
      const entry = { memory: emptyMemory(link?.segments ?? null), link };
      out.set(key, entry);
      this.deps.cache.set(this.cacheKey(kind, key), entry); // what the store holds: true whatever this batch does
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // accounts

  /** Writes the accounts; returns the Salesforce id of every journy account id known after it. */
  private async writeAccounts(intents: Intent[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const writable = intents.filter((i) => i.inScope && (Object.keys(i.fields).length > 0 || i.rejected.length > 0));
    const field = this.context.accountExternalIdField;
    const updates: { intent: Intent; record: WriteRecord }[] = [];
    const upserts: { intent: Intent; record: WriteRecord }[] = [];
    const unlinked: Intent[] = [];
    for (const intent of writable) {
      const match = matchLinkedAccount({ linkedId: this.linkOf('ACCOUNT', intent.entityKey)?.salesforceId, externalIdField: field, accountId: intent.entity.accountId });
      if (match.kind === 'update') {
        if (intent.entity.accountId) ids.set(intent.entity.accountId, match.salesforceId);
        updates.push({ intent, record: { Id: match.salesforceId, ...intent.fields } });
      } else if (match.kind === 'refuse') {
        this.fail(intent, match.status, match.reason, match.message);
      } else {
        unlinked.push(intent);
      }
    }
    if (field && unlinked.length > 0) {
      const directory = this.deps.directory.accounts;
      const unknown = unlinked.map((i) => i.entity.accountId!).filter((a) => !directory.has(a));
      const found = unknown.length ? await this.lookup('Account', field, unknown, false) : new Map<string, Record<string, unknown>[]>();
      for (const a of unlinked.map((i) => i.entity.accountId!)) if (directory.has(a)) found.set(a, directory.get(a)!.map((Id) => ({ Id })));
      for (const intent of unlinked) {
        const match = matchFoundAccount({ found: (found.get(intent.entity.accountId!) ?? []).map((r) => r.Id as string), externalIdField: field, accountId: intent.entity.accountId!, createAccounts: this.context.createAccounts });
        if (match.kind === 'update') updates.push({ intent, record: { Id: match.salesforceId, ...intent.fields } });
        else if (match.kind === 'refuse') this.fail(intent, match.status, match.reason, match.message);
        // A new account: upserted by the External ID (a replay finds it instead of creating it twice), with a name
        // when journy has none (Salesforce requires one): the domain, else journy's account id.
        else upserts.push({ intent, record: { [field]: intent.entity.accountId!, ...intent.fields, Name: (intent.fields.Name as string | undefined) || intent.entity.domain || intent.entity.accountId! } });
      }
    }
    const withFields = (list: typeof updates) => list.filter((u) => Object.keys(u.intent.fields).length > 0 || (this.settle(u.intent, u.record.Id as string | undefined), false));
    const toUpdate = withFields(updates);
    for (const u of toUpdate) {
      if (u.intent.entity.accountId) ids.set(u.intent.entity.accountId, u.record.Id as string);
      this.updates.push({ object: 'Account', record: u.record, settle: (result) => this.settleWrite(u.intent, 'Account', 'UPDATE', result, u.record) });
    }
    const toUpsert = upserts.filter((u) => Object.keys(u.intent.fields).length > 0 || (this.fail(u.intent, 'SKIPPED', 'NO_WRITABLE_VALUE', 'nothing mapped could be written'), false));
    const upserted = toUpsert.length ? await this.writer.upsert('Account', field!, toUpsert.map((u) => u.record)) : [];
    toUpsert.forEach((u, i) => this.settleWrite(u.intent, 'Account', upserted[i]?.created ? 'CREATE' : 'UPDATE', upserted[i], u.record));
    for (const u of toUpsert) {
      const link = this.linkOf('ACCOUNT', u.intent.entityKey);
      if (link?.salesforceId && u.intent.entity.accountId) ids.set(u.intent.entity.accountId, link.salesforceId);
    }
    return ids;
  }

  // ---------------------------------------------------------------------------------------------------------
  // contacts and memberships

  private async writeContacts(intents: Intent[], memberships: MembershipChange[], accountIds: Map<string, string>): Promise<void> {
    const writable = intents.filter((i) => i.inScope && (Object.keys(i.fields).length > 0 || i.rejected.length > 0));
    // Who each contact is: the stored link, else one lookup by email for all of them.
    const contactOf = new Map<string, ContactMatch>();
    const userKeys = new Map<string, ProfileEvent['entity']>();
    for (const intent of writable) userKeys.set(intent.entityKey, intent.entity);
    for (const change of memberships) {
      const key = entityKey({ entityType: 'USER', entity: change.user });
      if (key && !userKeys.has(key)) userKeys.set(key, change.user);
    }
    const needLookup: { key: string; email: string }[] = [];
    const missingLinks = [...userKeys.keys()].filter((k) => this.linkOf('USER', k) === undefined); // planned users were read already
    const stored = this.deps.directory.complete ? new Map<string, OutboundLink>() : await this.deps.links.find(this.connection.tenantId, this.connection.id, 'USER', missingLinks);
    for (const [key, link] of stored) this.deps.cache.set(this.cacheKey('USER', key), { memory: this.deps.cache.get(this.cacheKey('USER', key))?.memory ?? emptyMemory(link.segments), link });
    for (const [key, entity] of userKeys) {
      const link = this.linkOf('USER', key) ?? stored.get(key);
      const known = entity.email ? this.deps.directory.contacts.get(entity.email.trim().toLowerCase()) : undefined;
      if (link?.salesforceId) contactOf.set(key, { id: link.salesforceId, accountSfId: null, ambiguous: 0 });
      else if (known) contactOf.set(key, { id: known.length === 1 ? known[0] : null, accountSfId: null, ambiguous: known.length > 1 ? known.length : 0 });
      else if (entity.email && entity.email.trim().length <= this.keyLength('Contact', 'Email')) needLookup.push({ key, email: entity.email.trim().toLowerCase() });
    }
    if (needLookup.length > 0) {
      const found = await this.lookup('Contact', 'Email', needLookup.map((n) => n.email), true);
      for (const { key, email } of needLookup) contactOf.set(key, contactFromLookup(found.get(email) ?? []));
    }

    // Memberships: which account each contact is attached to, and secondary relations.
    await this.resolveAccounts(memberships.map((m) => m.account.accountId).filter((a): a is string => !!a && !accountIds.has(a)), accountIds);
    const { attach, relations, skipped } = planMemberships(memberships, {
      contactOf: (key) => contactOf.get(key),
      accountSfIdOf: (accountId) => accountIds.get(accountId),
      primaryAccountOf: (key) => this.linkOf('USER', key)?.accountId ?? null,
    });
    for (const { change, contactId, reason, message } of skipped) this.outcomes.membershipSkipped(change, contactId, reason, message);

    // Contact writes: field updates and attachments together, one record per contact.
    const updates = new Map<string, { key: string; intent: Intent | null; record: WriteRecord }>();
    const creates: { intent: Intent; record: WriteRecord }[] = [];
    for (const intent of writable) {
      const match = matchContact({
        contact: contactOf.get(intent.entityKey), email: intent.entity.email, emailMaxLength: this.keyLength('Contact', 'Email'),
        hasFields: Object.keys(intent.fields).length > 0, createContacts: this.context.createContacts,
      });
      if (match.kind === 'refuse') this.fail(intent, match.status, match.reason, match.message);
      else if (match.kind === 'unchanged') this.settle(intent, match.salesforceId ?? undefined);
      else if (match.kind === 'update') updates.set(intent.entityKey, { key: intent.entityKey, intent, record: { Id: match.salesforceId, ...intent.fields } });
      else creates.push({ intent, record: this.newContact(intent) });
    }
    for (const [key, a] of attach) {
      const contact = contactOf.get(key)!;
      const entry = updates.get(key) ?? { key, intent: null, record: { Id: contact.id! } };
      entry.record.AccountId = a.accountSfId;
      updates.set(key, entry);
    }
    for (const u of updates.values()) {
      this.updates.push({
        object: 'Contact', record: u.record,
        settle: (result) => {
          const a = attach.get(u.key);
          if (u.intent) this.settleWrite(u.intent, 'Contact', 'UPDATE', result, u.record);
          if (a) this.settleAttach(u.key, a, result, userKeys.get(u.key)!);
        },
      });
    }
    // Every update by Id of the batch, accounts and contacts together: one call carries up to 200 of either.
    const queued = this.updates.splice(0);
    const results = queued.length ? await this.writer.updateMany(queued.map((q) => ({ object: q.object, record: q.record }))) : [];
    queued.forEach((q, i) => q.settle(results[i]));
    const created = creates.length ? await this.writer.create('Contact', creates.map((c) => c.record)) : [];
    creates.forEach((c, i) => this.settleWrite(c.intent, 'Contact', 'CREATE', created[i], c.record));
    await this.writeRelations(relations);
  }

  /** Secondary account relations: created on ADD (an existing one counts as done), deleted on REMOVE. */
  private async writeRelations(relations: { change: MembershipChange; contactId: string; accountSfId: string }[]): Promise<void> {
    if (relations.length === 0) return;
    const log = (r: (typeof relations)[number], result: RecordResult | null, reason: string | null = null) => this.outcomes.relation(r.change, result, reason);
    const adds = relations.filter((r) => r.change.op === 'ADD');
    const results = adds.length ? await this.writer.create('AccountContactRelation', adds.map((r) => ({ AccountId: r.accountSfId, ContactId: r.contactId }))) : [];
    adds.forEach((r, i) => {
      const duplicate = !results[i].success && results[i].errors.some((e) => e.code === 'DUPLICATE_VALUE');
      log(r, duplicate ? null : results[i], duplicate ? 'NO_CHANGE' : null);
      if (results[i].success) this.applied++;
    });
    const removes = relations.filter((r) => r.change.op === 'REMOVE');
    if (removes.length === 0) return;
    this.deps.onCall('query');
    const rows = await queryRecords(this.client, soqlSelect({ object: 'AccountContactRelation', fields: ['Id', 'AccountId', 'ContactId'], where: `${soqlIn('ContactId', [...new Set(removes.map((r) => r.contactId))])} AND IsDirect = false` }));
    const found = removes.map((r) => rows.find((row) => row.ContactId === r.contactId && row.AccountId === r.accountSfId)?.Id as string | undefined);
    const ids = found.filter((id): id is string => !!id);
    const deleted = ids.length ? await this.writer.remove(ids) : [];
    removes.forEach((r, i) => {
      const id = found[i];
      log(r, id ? deleted[ids.indexOf(id)] : null, id ? null : 'NO_CHANGE');
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // lookups

  /** Every field a write set on a record (a create's defaults too), merged over the batch's earlier writes of it. */
  private rememberWritten(kind: 'USER' | 'ACCOUNT', object: 'Contact' | 'Account', salesforceId: string | null, entity: ProfileEvent['entity'], record: WriteRecord): void {
    const journyKey = kind === 'USER' ? entity.email?.trim().toLowerCase() : entity.accountId;
    if (!salesforceId || !journyKey) return;
    const { Id: _id, ...values } = record as Record<string, unknown>;
    const earlier = this.written.get(salesforceId);
    const imported = (kind === 'USER' ? this.deps.directory.contacts : this.deps.directory.accounts).get(journyKey);
    this.written.set(salesforceId, {
      kind, salesforceObject: object, salesforceId, journyKey, journyId: kind === 'USER' ? (entity.userId ?? undefined) : undefined,
      lastWritten: { ...(earlier?.lastWritten ?? {}), ...values },
      linked: imported?.includes(salesforceId) ?? false, // its record link exists: no insert to try
    });
  }

  /** The most characters a value of this lookup field can have (from describe). */
  private keyLength(object: 'Contact' | 'Account', field: string): number {
    const meta = object === 'Contact' ? this.context.contactFields.get(field.toLowerCase()) : undefined;
    return meta?.length || DEFAULT_KEY_LENGTH;
  }

  /**
   * Records of `object` whose `field` is one of the values, by value (lower-cased for emails): one SOQL query per
   * 150 values or 4,000 characters of them, whichever comes first. Values longer than the field holds match
   * nothing and are not sent.
   */
  private async lookup(object: 'Contact' | 'Account', field: string, values: string[], lowerCase: boolean): Promise<Map<string, Record<string, unknown>[]>> {
    const found = new Map<string, Record<string, unknown>[]>();
    const maxLength = this.keyLength(object, field);
    const fields = object === 'Contact' ? ['Id', 'Email', 'AccountId'] : ['Id', field];
    for (const chunk of lookupChunks([...new Set(values)].filter((v) => v.length <= maxLength))) {
      this.deps.onCall('query');
      const rows = await queryRecords(this.client, soqlSelect({ object, fields, where: soqlIn(field, chunk) }));
      for (const row of rows) {
        const raw = row[field];
        if (raw === null || raw === undefined) continue;
        const key = lowerCase ? String(raw).toLowerCase() : String(raw);
        found.set(key, [...(found.get(key) ?? []), row]);
      }
    }
    return found;
  }

  /** Salesforce ids of journy accounts: stored links first, then one lookup by the External ID field. */
  private async resolveAccounts(accountIds: string[], into: Map<string, string>): Promise<void> {
    const keys = [...new Set(accountIds)].map((a) => `a:${a}`);
    if (keys.length === 0) return;
    const missing = keys.filter((k) => !this.linkOf('ACCOUNT', k)?.salesforceId);
    const stored = this.deps.directory.complete ? new Map<string, OutboundLink>() : await this.deps.links.find(this.connection.tenantId, this.connection.id, 'ACCOUNT', missing);
    for (const key of keys) {
      const known = this.deps.directory.accounts.get(key.slice(2));
      const id = this.linkOf('ACCOUNT', key)?.salesforceId ?? stored.get(key)?.salesforceId ?? (known?.length === 1 ? known[0] : undefined);
      if (id) into.set(key.slice(2), id);
    }
    const field = this.context.accountExternalIdField;
    const unresolved = accountIds.filter((a) => !into.has(a));
    if (!field || unresolved.length === 0) return;
    const found = await this.lookup('Account', field, unresolved, false);
    for (const a of unresolved) {
      const matches = found.get(a) ?? [];
      if (matches.length === 1) {
        into.set(a, matches[0].Id as string);
        this.keepLink('ACCOUNT', `a:${a}`, { ...(stored.get(`a:${a}`) ?? this.newLink('ACCOUNT', `a:${a}`)), salesforceId: matches[0].Id as string });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // outcomes

  private settleWrite(intent: Intent, object: 'Contact' | 'Account', operation: 'CREATE' | 'UPDATE', result: RecordResult, record: WriteRecord): void {
    const kind = intent.kind;
    if (!result.success) {
      this.outcomes.rejectedBySalesforce(intent, operation, result, record);
      this.memories.set(this.cacheKey(kind, intent.entityKey), { ...intent.next, lastWritten: this.memoryOf(kind, intent.entityKey).lastWritten });
      return;
    }
    this.applied++;
    const written: Record<string, SalesforceValue> = {};
    for (const [field, value] of Object.entries(record)) if (field in intent.fields) written[field] = value;
    this.memories.set(this.cacheKey(kind, intent.entityKey), { ...intent.next, lastWritten: { ...intent.next.lastWritten, ...written } });
    this.rememberWritten(kind, object, result.id, intent.entity, record);
    const link = this.linkOf(kind, intent.entityKey);
    const known = kind === 'USER' ? this.deps.directory.contacts.get(intent.entity.email?.trim().toLowerCase() ?? '') : this.deps.directory.accounts.get(intent.entity.accountId ?? '');
    const directoryAnswers = known?.length === 1 && known[0] === result.id; // matched through the imported links: nothing new to store
    if (result.id && link?.salesforceId !== result.id && !directoryAnswers) this.keepLink(kind, intent.entityKey, { ...(link ?? this.newLink(kind, intent.entityKey)), salesforceId: result.id, segments: intent.next.segments });
    const first = Math.min(...intent.events.map((e) => e.occurredAt));
    this.latencies.push(Date.now() - first);
    this.outcomes.written(intent, operation, result, record, object);
  }

  /** Only rejected values: nothing was written. */
  private settle(intent: Intent, recordId: string | undefined): void {
    this.memories.set(this.cacheKey(intent.kind, intent.entityKey), intent.next);
    this.outcomes.invalidValues(intent, recordId ?? null);
  }

  private settleAttach(key: string, a: { accountId: string | null; accountSfId: string | null; eventIds: string[] }, result: RecordResult, user: ProfileEvent['entity']): void {
    const link = this.linkOf('USER', key) ?? this.newLink('USER', key);
    if (result.success) this.keepLink('USER', key, { ...link, salesforceId: result.id ?? link.salesforceId, accountId: a.accountId });
    if (result.success) this.applied++;
    if (result.success) this.rememberWritten('USER', 'Contact', result.id ?? link.salesforceId, user, { AccountId: a.accountSfId });
    this.outcomes.attachment(user, a, result);
  }

  private fail(intent: Intent, status: 'SKIPPED' | 'FAILED', reason: string, message: string): void {
    this.memories.set(this.cacheKey(intent.kind, intent.entityKey), { ...intent.next, lastWritten: this.memoryOf(intent.kind, intent.entityKey).lastWritten });
    this.outcomes.refused(intent, status, reason, message);
  }

  private newContact(intent: Intent): WriteRecord {
    const record: WriteRecord = { ...intent.fields };
    if (!('Email' in record)) record.Email = intent.entity.email;
    const lastName = record.LastName;
    if (lastName === undefined || lastName === null || lastName === '') record.LastName = intent.entity.email!.split('@')[0]; // required by Salesforce
    return record;
  }

  private newLink(kind: EntityKind, key: string): OutboundLink {
    return { tenantId: this.connection.tenantId, connectionId: this.connection.id, kind, entityKey: key, salesforceId: null, segments: null, accountId: null, updatedAt: new Date() };
  }

  private keepLink(kind: EntityKind, key: string, link: OutboundLink): void {
    this.linksToSave.set(this.cacheKey(kind, key), link);
  }

  /** The link as this batch left it (pending save), else as cached: null when the store has none, undefined when not known here. */
  private linkOf(kind: EntityKind, key: string): OutboundLink | null | undefined {
    const pending = this.linksToSave.get(this.cacheKey(kind, key));
    if (pending) return pending;
    return this.deps.cache.get(this.cacheKey(kind, key))?.link;
  }

  private memoryOf(kind: EntityKind, key: string): EntityMemory {
    return this.deps.cache.get(this.cacheKey(kind, key))?.memory ?? emptyMemory();
  }

  private cacheKey(kind: EntityKind, key: string): string {
    return entityCacheKey(this.connection.id, kind, key);
  }
}
