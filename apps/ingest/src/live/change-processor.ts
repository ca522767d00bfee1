import { isSalesforceId, toSalesforceId18 } from '@connector/domain';
import type { ObjectType, Operation } from '@connector/kafka';
import type { Logger } from '@connector/observability';
import type { Connection, RecordLink, RecordLinksRepository } from '@connector/persistence';
import { committedBefore, flattenCompound, madeByClient, plainFieldName, queryRows, soqlIn, type ChangeEvent, type SalesforceRestClient } from '@connector/salesforce';
import { CALL_OPTIONS_CLIENT } from '@connector/org-access';
import { CAPTURED_OBJECTS, InboundModel, ObjectName, Row, convertFields, domainFromWebsite, emailOf, externalIdOf, selectSoql } from '../model/inbound-model';
import type { JournyPublisher } from '../model/journy-publisher';
import { PublishBatch, BatchContext, SourceRecord } from '../model/publish-batch';
import { SNAPSHOT_AT, translateAccounts, translateContacts, translateRelations } from '../model/translate';
import { routeChange } from './change-route';

export interface ChangeProcessorDeps {
  connection: Connection;
  model: InboundModel;
  rest: SalesforceRestClient;
  links: RecordLinksRepository;
  publisher: JournyPublisher;
  logger: Logger;
  /** When the last import's relationship query began: relationship changes committed before it are in the snapshot. */
  relationsSnapshotAt: number | null;
  onOutcome?: (outcome: string) => void;
}

const OBJECT_TYPE: Record<ObjectName, ObjectType> = { Account: 'ACCOUNT', Contact: 'USER', AccountContactRelation: 'MEMBERSHIP' };

/** Re-reads cover this much before the last processed commit: SystemModstamp ties and clock skew (pitfall 7). */
export const REREAD_OVERLAP_MS = 60_000;

/**
 * Turns change events (and re-read records after a gap) into journy commands and log lines:
 * - CREATE: the new user or account, only with the ongoing-import setting on (else logged as skipped);
 * - UPDATE of a linked record: only the changed mapped fields (`nulledFields` are clears; absent is unchanged);
 *   of an unlinked one: the whole record (re-read) with ongoing import on, else skipped;
 * - DELETE / UNDELETE: logged and the link marked; journy records are never deleted;
 * - relationships: membership added / removed;
 * - the connector's own writes (changeOrigin client) and values equal to what it last wrote: echo, dropped.
 */
export class ChangeProcessor {
  private readonly context: BatchContext;
  /** Link writes of the unit of work in progress: applied only once its commands are acknowledged, so a retry sees the old state. */
  private linkWrites: (() => Promise<unknown>)[] = [];

  constructor(private readonly deps: ChangeProcessorDeps) {
    this.context = { tenantId: deps.connection.tenantId, connectionId: deps.connection.id, orgId: deps.connection.org.orgId, mode: 'LIVE' };
  }

  /** Processes one event; resolves once its commands and log lines are acknowledged by Kafka. */
  async handle(event: ChangeEvent): Promise<void> {
    this.linkWrites = [];
    const header = event.header;
    const route = routeChange(event, isOwnWrite);
    const scope = `${this.deps.connection.id}:${event.channel}:${event.replayId}`;
    const batch = new PublishBatch(route.kind === 'reread-gap' ? { ...this.context, mode: 'RESYNC' } : this.context, scope);
    if (route.kind === 'skip') {
      this.deps.logger.info({ replayId: event.replayId, entity: header?.entityName, reason: route.reason }, 'change event skipped');
      this.deps.onOutcome?.(route.outcome);
      return this.skipEvent(event, route.reason, route.message);
    }
    const { entity, ids } = route;
    const sources = ids.map((recordId): SourceRecord => ({ objectType: entity, recordId, modifiedAt: header.commitTimestamp ?? null, replayId: String(event.replayId) }));
    switch (route.kind) {
      case 'reread-gap':
        await this.recoverGap(entity, route.changeType, ids, batch);
        break;
      case 'echo':
        for (const source of sources) batch.skip(OBJECT_TYPE[entity], operationOf(header.changeType), source, 'ECHO_SUPPRESSED', `written by this connector (${route.changeOrigin})`);
        this.deps.onOutcome?.('echo');
        break;
      case 'create':
        await this.created(entity, event, sources, batch);
        break;
      case 'update':
        await this.updated(entity, event, sources, batch);
        break;
      case 'delete-or-undelete':
        await this.deletedOrRestored(entity, route.changeType, event, sources, batch);
        break;
      case 'unknown-change-type':
        this.deps.logger.warn({ replayId: event.replayId, changeType: route.changeType }, 'unknown change type: skipped');
        this.deps.onOutcome?.('unknown-change-type');
        for (const source of sources) batch.skip(OBJECT_TYPE[entity], 'OTHER', source, 'UNKNOWN_CHANGE_TYPE', `change type ${route.changeType} is not one the connector knows`);
    }
    await this.commit(batch);
  }

  /**
   * A change event the connector does not apply, with one log line per record it names (one with no record when
   * it names none): every event not applied leaves its reason in the sync log.
   */
  async skipEvent(event: ChangeEvent, reason: string, message: string, status: 'SKIPPED' | 'FAILED' = 'SKIPPED'): Promise<void> {
    const header = event.header as Partial<ChangeEvent['header']> | undefined;
    const entity = typeof header?.entityName === 'string' ? header.entityName : 'unknown';
    const batch = new PublishBatch(this.context, `${this.deps.connection.id}:${event.channel}:${event.replayId}`);
    const objectType = CAPTURED_OBJECTS.includes(entity as ObjectName) ? OBJECT_TYPE[entity as ObjectName] : 'OTHER';
    const operation = typeof header?.changeType === 'string' ? operationOf(header.changeType) : 'OTHER';
    const ids = Array.isArray(header?.recordIds) && header.recordIds.length > 0 ? header.recordIds.map(String) : [''];
    for (const recordId of ids) {
      const source = { objectType: entity, recordId, modifiedAt: header?.commitTimestamp ?? null, replayId: String(event.replayId) };
      if (status === 'FAILED') batch.log({ objectType, operation, status, reason, message, source });
      else batch.skip(objectType, operation, source, reason, message);
    }
    await this.commit(batch);
  }

  /** Publishes the unit of work, then stores what it changed in the links. */
  private async commit(batch: PublishBatch): Promise<void> {
    const writes = this.linkWrites;
    this.linkWrites = [];
    await this.deps.publisher.publish(batch);
    await Promise.all(writes.map((write) => write()));
  }

  private later(write: () => Promise<unknown>): void {
    this.linkWrites.push(write);
  }

  /**
   * Re-reads records changed since a point (an invalid replay id, a GAP_OVERFLOW) and syncs them: changes of
   * linked records against what was last read, unlinked ones as new (with ongoing import on).
   */
  async rereadSince(sinceMs: number, reason: string, objects: readonly ObjectName[] = CAPTURED_OBJECTS): Promise<number> {
    this.linkWrites = [];
    const since = new Date(sinceMs - REREAD_OVERLAP_MS).toISOString();
    let total = 0;
    for (const object of objects) {
      if (object === 'AccountContactRelation' && !this.deps.model.hasAccountContactRelation) continue;
      const rows = await queryRows(this.deps.rest, selectSoql(this.deps.model, object, `SystemModstamp >= ${since}`));
      const batch = new PublishBatch({ ...this.context, mode: 'RESYNC' }, `reread:${this.deps.connection.id}:${sinceMs}:${object}`);
      await this.resync(object, rows, batch);
      await this.commit(batch);
      total += rows.length;
    }
    this.deps.logger.warn({ tenantId: this.context.tenantId, connectionId: this.context.connectionId, since, records: total, reason }, 'records re-read after missed change events');
    return total;
  }

  private async recoverGap(entity: ObjectName, changeType: string, ids: string[], batch: PublishBatch): Promise<void> {
    if (changeType === 'GAP_OVERFLOW' || ids.length === 0) {
      // Too many changes to name: everything of the entity changed lately is read again (its own batch).
      await this.rereadSince(Date.now() - 10 * 60_000, changeType, [entity]);
      return;
    }
    const rows = await queryRows(this.deps.rest, selectSoql(this.deps.model, entity, soqlIn('Id', ids)));
    this.deps.logger.warn({ connectionId: this.context.connectionId, entity, changeType, records: rows.length }, 'gap event: records re-read');
    await this.resync(entity, rows, batch, 'RESYNC');
  }

  private async created(entity: ObjectName, event: ChangeEvent, sources: SourceRecord[], batch: PublishBatch): Promise<void> {
    if (entity === 'AccountContactRelation') return this.relationChanged('ADD', event, sources, batch);
    if (!this.deps.connection.settings.source.ongoingImport) {
      for (const source of sources) batch.skip(OBJECT_TYPE[entity], 'CREATE', source, 'ONGOING_IMPORT_DISABLED', 'created in Salesforce; ongoing import is off for this connection');
      return;
    }
    // A create event carries every non-null field; one event may name several records created alike.
    const rows = sources.map((s) => ({ ...flattenCompound(event.fields), Id: s.recordId }));
    const options = { operation: 'CREATE' as const, snapshot: false, replayId: String(event.replayId), modifiedAt: event.header.commitTimestamp };
    if (entity === 'Account') {
      const t = translateAccounts(this.deps.model, batch, rows, options);
      this.later(() => this.deps.links.upsertMany(this.context.tenantId, this.context.connectionId, t.links));
    } else {
      const withAccounts = await this.withAccountKeys(rows);
      const t = translateContacts(this.deps.model, batch, withAccounts, options);
      this.later(() => this.deps.links.upsertMany(this.context.tenantId, this.context.connectionId, t.links));
    }
  }

  private async updated(entity: ObjectName, event: ChangeEvent, sources: SourceRecord[], batch: PublishBatch): Promise<void> {
    if (entity === 'AccountContactRelation') return this.relationChanged('UPDATE', event, sources, batch);
    const { header } = event;
    const links = new Map((await this.deps.links.findBySalesforceIds(this.context.tenantId, this.context.connectionId, sources.map((s) => s.recordId))).map((l) => [l.salesforceId, l]));
    const changed = new Set([...(header.changedFields ?? []), ...(header.nulledFields ?? [])].map(plainFieldName));
    const nulled = new Set((header.nulledFields ?? []).map(plainFieldName));
    const row: Row = flattenCompound(event.fields);
    for (const field of nulled) row[field] = null;
    const unlinked: SourceRecord[] = [];
    for (const source of sources) {
      const link = links.get(source.recordId);
      if (!link) {
        unlinked.push(source);
        continue;
      }
      const snapshotAt = link.lastRead[SNAPSHOT_AT];
      if (typeof snapshotAt === 'number' && committedBefore(header.commitTimestamp, snapshotAt)) {
        batch.skip(OBJECT_TYPE[entity], 'UPDATE', source, 'OLDER_THAN_SNAPSHOT', 'the change is already in the imported snapshot', journyRefOf(link));
        continue;
      }
      await this.applyChange(entity, link, { ...row, Id: source.recordId }, (f) => changed.has(f), source, batch, 'UPDATE');
    }
    if (unlinked.length === 0) return;
    if (!this.deps.connection.settings.source.ongoingImport) {
      for (const source of unlinked) batch.skip(OBJECT_TYPE[entity], 'UPDATE', source, 'NOT_LINKED', 'the record was never imported and ongoing import is off');
      return;
    }
    // Not imported yet: read it whole (an update event carries only the changed fields).
    const rows = await queryRows(this.deps.rest, selectSoql(this.deps.model, entity, soqlIn('Id', unlinked.map((s) => s.recordId))));
    await this.resync(entity, rows, batch, 'LIVE');
  }

  /** Publishes the changed mapped fields of a linked record, unless they are what the connector last wrote (echo). */
  private async applyChange(entity: 'Account' | 'Contact', link: RecordLink, row: Row, present: (field: string) => boolean, source: SourceRecord, batch: PublishBatch, operation: Operation): Promise<boolean> {
    const { model } = this.deps;
    const keyFields = entity === 'Contact' ? ['Email', 'AccountId'] : ['Website', ...(model.externalIdField ? [model.externalIdField] : [])];
    const mapped = entity === 'Contact' ? model.contact : model.account;
    const named = [...mapped.map((f) => f.field), ...keyFields].filter(present);
    if (named.length === 0) {
      batch.skip(OBJECT_TYPE[entity], operation, source, 'NO_MAPPED_CHANGE', 'none of the changed fields is synced to journy', journyRefOf(link));
      return false;
    }
    // Field by field, as on every path (a live event names the changed fields, a re-read all of them): a value
    // equal to what journy-events last wrote there is its own write coming back, never news for journy.
    const echoed = (f: string) => f in link.lastWritten && sameValue(link.lastWritten[f], row[f]);
    if (named.every(echoed)) {
      batch.skip(OBJECT_TYPE[entity], operation, source, 'ECHO_SUPPRESSED', 'the values are what this connector last wrote', journyRefOf(link));
      this.deps.onOutcome?.('echo');
      return false;
    }
    // Only what differs from what journy was last sent, and is not an echo.
    const relevant = new Set(named.filter((f) => !echoed(f) && (!(f in link.lastRead) || !sameValue(link.lastRead[f], row[f]))));
    if (relevant.size === 0) {
      batch.skip(OBJECT_TYPE[entity], operation, source, 'NO_CHANGE', 'the values are what journy already has', journyRefOf(link));
      return false;
    }
    present = (f) => relevant.has(f);
    const converted = convertFields(mapped, row, present);
    const message = converted.rejected.length ? `not converted, left out: ${converted.rejected.map((r) => r.reason).join('; ')}` : null;
    const read: Record<string, unknown> = { ...converted.read };
    if (entity === 'Contact') {
      const email = present('Email') ? emailOf(row) : link.journyKey;
      if (!email) {
        batch.skip('USER', operation, source, 'MISSING_KEY', 'the contact no longer has an email', journyRefOf(link));
        return false;
      }
      if (present('Email')) read.Email = row.Email;
      if (Object.keys(converted.properties).length > 0 || present('Email')) {
        batch.upsertUser({ email, userId: link.journyId, properties: converted.properties, source, operation, message });
      }
      if (present('AccountId') && !model.hasAccountContactRelation) {
        read.AccountId = row.AccountId ?? null;
        await this.accountMove(link, email, row.AccountId, source, batch);
      }
      this.later(() => this.deps.links.recordRead(link, read, email, [...relevant]));
    } else {
      const accountId = model.externalIdField && present(model.externalIdField) ? externalIdOf(model, row) : link.journyKey;
      if (!accountId) {
        batch.skip('ACCOUNT', operation, source, 'MISSING_KEY', 'the account no longer has an External ID value', journyRefOf(link));
        return false;
      }
      const domain = present('Website') ? domainFromWebsite(row.Website) : null;
      if (present('Website')) read.Website = row.Website ?? null;
      if (model.externalIdField && present(model.externalIdField)) read[model.externalIdField] = accountId;
      batch.upsertAccount({ accountId, domain, properties: converted.properties, source, operation, message });
      this.later(() => this.deps.links.recordRead(link, read, accountId, [...relevant]));
    }
    return true;
  }

  /** Contact.AccountId moved (orgs without AccountContactRelation): leave the old account, join the new one. */
  private async accountMove(link: RecordLink, email: string, newAccount: unknown, source: SourceRecord, batch: PublishBatch): Promise<void> {
    const oldAccount = link.lastRead.AccountId;
    const ids = [oldAccount, newAccount].filter((v): v is string => typeof v === 'string' && v !== '');
    const accounts = new Map((await this.deps.links.findBySalesforceIds(this.context.tenantId, this.context.connectionId, ids)).map((l) => [l.salesforceId, l]));
    if (typeof oldAccount === 'string' && accounts.get(oldAccount)) batch.members('REMOVE', accounts.get(oldAccount)!.journyKey, { objectType: 'Account', recordId: oldAccount, modifiedAt: source.modifiedAt }, [{ email, source }]);
    if (typeof newAccount === 'string' && newAccount) {
      const target = accounts.get(newAccount);
      if (target) batch.members('ADD', target.journyKey, { objectType: 'Account', recordId: newAccount, modifiedAt: source.modifiedAt }, [{ email, source }]);
      else batch.skip('MEMBERSHIP', 'LINK', source, 'ACCOUNT_NOT_LINKED', `account ${newAccount} is not imported`, { email });
    }
  }

  /** Whole records read again: linked ones sync what changed since last read, unlinked ones are new. */
  private async resync(entity: ObjectName, rows: Row[], batch: PublishBatch, mode: 'RESYNC' | 'LIVE' = 'RESYNC'): Promise<void> {
    if (rows.length === 0) return;
    if (entity === 'AccountContactRelation') {
      translateRelations(this.deps.model, batch, rows, { operation: 'UPSERT', snapshot: true });
      return;
    }
    const links = new Map((await this.deps.links.findBySalesforceIds(this.context.tenantId, this.context.connectionId, rows.map((r) => String(r.Id)))).map((l) => [l.salesforceId, l]));
    const fresh: Row[] = [];
    for (const row of rows) {
      const link = links.get(String(row.Id));
      if (!link) {
        fresh.push(row);
        continue;
      }
      const source: SourceRecord = { objectType: entity, recordId: link.salesforceId, modifiedAt: Date.parse(String(row.SystemModstamp)) || null };
      await this.applyChange(entity, link, row, (f) => f in row, source, batch, 'UPDATE');
    }
    if (fresh.length === 0) return;
    if (!this.deps.connection.settings.source.ongoingImport) {
      for (const row of fresh) batch.skip(OBJECT_TYPE[entity], 'CREATE', { objectType: entity, recordId: String(row.Id), modifiedAt: null }, 'ONGOING_IMPORT_DISABLED', `found by a ${mode === 'RESYNC' ? 're-read' : 'change'}; ongoing import is off for this connection`);
      return;
    }
    const options = { operation: 'CREATE' as const, snapshot: true };
    const t = entity === 'Account' ? translateAccounts(this.deps.model, batch, fresh, options) : translateContacts(this.deps.model, batch, fresh, options);
    this.later(() => this.deps.links.upsertMany(this.context.tenantId, this.context.connectionId, t.links));
  }

  /** Relationship created / changed / deleted / restored: membership added or removed (related keys read by query). */
  private async relationChanged(kind: 'ADD' | 'REMOVE' | 'UPDATE', event: ChangeEvent, sources: SourceRecord[], batch: PublishBatch): Promise<void> {
    const { relationsSnapshotAt } = this.deps;
    if (relationsSnapshotAt !== null && committedBefore(event.header.commitTimestamp, relationsSnapshotAt)) {
      for (const source of sources) batch.skip('MEMBERSHIP', 'LINK', source, 'OLDER_THAN_SNAPSHOT', 'the change is already in the imported snapshot');
      return;
    }
    if (kind === 'UPDATE' && !(event.header.changedFields ?? []).some((f) => f === 'AccountId' || f === 'ContactId' || f === 'IsActive')) {
      for (const source of sources) batch.skip('MEMBERSHIP', 'OTHER', source, 'NO_MAPPED_CHANGE', 'none of the changed fields is synced to journy');
      return;
    }
    const rows = await queryRows(this.deps.rest, selectSoql(this.deps.model, 'AccountContactRelation', soqlIn('Id', sources.map((s) => s.recordId))), kind === 'REMOVE');
    const options = { operation: 'UPSERT' as const, snapshot: false, replayId: String(event.replayId), modifiedAt: event.header.commitTimestamp };
    translateRelations(this.deps.model, batch, rows, options, kind === 'REMOVE' ? 'REMOVE' : 'ADD');
  }

  private async deletedOrRestored(entity: ObjectName, changeType: 'DELETE' | 'UNDELETE', event: ChangeEvent, sources: SourceRecord[], batch: PublishBatch): Promise<void> {
    if (entity === 'AccountContactRelation') return this.relationChanged(changeType === 'DELETE' ? 'REMOVE' : 'ADD', event, sources, batch);
    const links = new Map((await this.deps.links.findBySalesforceIds(this.context.tenantId, this.context.connectionId, sources.map((s) => s.recordId))).map((l) => [l.salesforceId, l]));
    for (const source of sources) {
      const link = links.get(source.recordId);
      if (!link) {
        batch.skip(OBJECT_TYPE[entity], changeType, source, 'NOT_LINKED', `${changeType === 'DELETE' ? 'deleted' : 'restored'} in Salesforce; the record was never synced`);
        continue;
      }
      this.later(() => this.deps.links.markDeleted(this.context.tenantId, this.context.connectionId, source.recordId, changeType === 'DELETE'));
      batch.log({
        objectType: OBJECT_TYPE[entity], operation: changeType, status: 'SUCCEEDED', source, journy: journyRefOf(link),
        message: changeType === 'DELETE' ? 'deleted in Salesforce: link marked deleted; the journy record is kept' : 'restored in Salesforce: link active again',
      });
    }
  }

  /** Adds `Account.<External ID>` to contact rows from an event (which carry AccountId only), from links or a query. */
  private async withAccountKeys(rows: Row[]): Promise<Row[]> {
    const field = this.deps.model.externalIdField;
    if (!field || this.deps.model.hasAccountContactRelation) return rows;
    const ids = [...new Set(rows.map((r) => r.AccountId).filter((v): v is string => typeof v === 'string' && isSalesforceId(v)).map(toSalesforceId18))];
    if (ids.length === 0) return rows;
    const keys = new Map((await this.deps.links.findBySalesforceIds(this.context.tenantId, this.context.connectionId, ids)).map((l) => [l.salesforceId, l.journyKey]));
    const missing = ids.filter((id) => !keys.has(id));
    if (missing.length) for (const r of await queryRows(this.deps.rest, { object: 'Account', fields: ['Id', field], where: soqlIn('Id', missing) })) if (r[field]) keys.set(String(r.Id), String(r[field]));
    return rows.map((r) => ({ ...r, [`Account.${field}`]: typeof r.AccountId === 'string' ? (keys.get(toSalesforceId18(r.AccountId)) ?? null) : null }));
  }
}

function operationOf(changeType: string): Operation {
  if (changeType === 'CREATE' || changeType.endsWith('_CREATE')) return 'CREATE';
  if (changeType === 'DELETE' || changeType.endsWith('_DELETE')) return 'DELETE';
  if (changeType === 'UNDELETE' || changeType.endsWith('_UNDELETE')) return 'UNDELETE';
  return 'UPDATE';
}

/** `com/salesforce/api/rest/62.0;client=journy-connector`: a change this connector made. */
export function isOwnWrite(changeOrigin: string | undefined): boolean {
  return madeByClient(changeOrigin, CALL_OPTIONS_CLIENT);
}

function journyRefOf(link: RecordLink): { email?: string; accountId?: string; userId?: string | null } {
  return link.kind === 'USER' ? { email: link.journyKey, userId: link.journyId } : { accountId: link.journyKey };
}

/** Equal as Salesforce values: numbers and booleans by text, datetimes by instant (REST writes +0000, CDC and journy-events Z). */
function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => {
    if (v === undefined || v === '') return null;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) {
      const ms = Date.parse(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
      if (!Number.isNaN(ms)) return `@${ms}`;
    }
    return v;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
