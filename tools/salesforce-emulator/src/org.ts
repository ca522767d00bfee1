import { randomUUID } from 'node:crypto';
import { EventBus } from './event-bus';
import { IdGenerator, isValidIdShape, to18 } from './ids';
import { CustomFieldSpec, FieldDef, ObjectDef, ObjectSpec, READ_ONLY_OBJECTS, Schema } from './metadata';
import { SaveError, SaveFailure, StoredValue, coerce, saveError, toCdc, wholeSecondNow } from './values';
import { LATEST_VERSION } from './versions';

export type Rec = Record<string, StoredValue>;

/**
 * Who writes and through which path: drives CreatedById/LastModifiedById and the CDC changeOrigin.
 * - `rest`, `bulkapi`, `soap`: an API call; `client` is the `client=` of its Sforce-Call-Options header, if any.
 * - `lightning`: a user in Lightning Experience (the UI calls Salesforce's own internal API).
 * - `classic`: a user in Salesforce Classic, and other UI paths that leave no origin.
 * - `core`: the platform itself (the origin of the CDC guide's example).
 */
export interface WriteContext {
  userId: string;
  api: 'rest' | 'bulkapi' | 'soap' | 'lightning' | 'classic' | 'core';
  apiVersion: string;
  client: string | null;
}

/** The ChangeEventHeader.changeOrigin Salesforce writes for a transaction made through this path. */
export function changeOrigin(context: WriteContext): string {
  switch (context.api) {
    case 'lightning':
      return `com/salesforce/api/soap/${context.apiVersion};client=SfdcInternalAPI/`;
    case 'classic':
      return '';
    case 'core':
      return 'com.salesforce.core';
    default:
      return `com/salesforce/api/${context.api}/${context.apiVersion}${context.client ? `;client=${context.client}` : ''}`;
  }
}

interface Change {
  entity: string;
  changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
  recordId: string;
  changedFields: string[];
  body: Record<string, unknown>;
}

interface UndoEntry {
  object: ObjectDef;
  id: string;
  before: Rec | null;
}

/** One request's writes: committed together (events published), or rolled back (allOrNone). */
export class Transaction {
  readonly key = randomUUID();
  readonly changes: Change[] = [];
  readonly undo: UndoEntry[] = [];
  readonly now = wholeSecondNow();
  /** Seeding writes records no API could (users). */
  seeding = false;
  constructor(readonly context: WriteContext) {}
}

export interface OrgOptions {
  orgId?: string;
  customFields?: Record<string, CustomFieldSpec[]>;
  /** Duplicate rule on Contact email: a second contact with an existing email is refused (DUPLICATES_DETECTED). */
  contactEmailDuplicateRule?: boolean;
  eventRetentionMs?: number;
  maxEventsPerChannel?: number;
  /** A sandbox org: Organization.IsSandbox, and an instance name of the CS pods. */
  sandbox?: boolean;
  /** Organization.Name. */
  name?: string;
  /** The objects it holds (the standard ones by default; the Tooling API's for its own org). */
  objects?: Record<string, ObjectSpec>;
}

/** How long after its commit a change event becomes deliverable (the org's latency profile), ms. */
export type ChangeEventDelay = () => number;

class ObjectStore {
  readonly records = new Map<string, Rec>();
  /** lower-cased field name → lower-cased value → ids (unique, external id, id lookup and reference fields). */
  readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(readonly def: ObjectDef) {
    for (const field of def.fields.values()) {
      if (field.name === 'Id') continue;
      if (field.unique || field.externalId || field.idLookup || field.type === 'reference') this.indexes.set(field.name.toLowerCase(), new Map());
    }
  }

  index(id: string, rec: Rec | null, add: boolean): void {
    if (!rec) return;
    for (const [fieldLower, index] of this.indexes) {
      const def = this.def.fields.get(fieldLower)!;
      const value = rec[def.name];
      if (value === null || value === undefined) continue;
      const key = String(value).toLowerCase();
      let ids = index.get(key);
      if (add) {
        if (!ids) index.set(key, (ids = new Set()));
        ids.add(id);
      } else if (ids) {
        ids.delete(id);
        if (ids.size === 0) index.delete(key);
      }
    }
  }

  lookup(field: string, value: StoredValue): string[] {
    const index = this.indexes.get(field.toLowerCase());
    if (!index || value === null) return [];
    return [...(index.get(String(value).toLowerCase()) ?? [])];
  }
}

const SYSTEM_FIELDS = new Set(['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);

/**
 * The org: records of every object, validated writes with Salesforce's error codes, the recycle bin, and a
 * change event for every committed write (Change Data Capture).
 */
export class Org {
  readonly orgId: string;
  readonly schema: Schema;
  readonly bus: EventBus;
  readonly ids = new IdGenerator();
  private readonly stores = new Map<string, ObjectStore>();
  private commitNumber = 10_000_000 + Math.floor(Math.random() * 1_000_000);
  contactEmailDuplicateRule: boolean;
  /** Delay of change events after their commit; events keep their commit order whatever the delays. */
  changeEventDelay: ChangeEventDelay = () => 0;
  private lastDeliveryAt = 0;
  private readonly deliveries: { at: number; publish: () => void }[] = [];

  constructor(readonly options: OrgOptions = {}) {
    this.orgId = options.orgId ?? to18('00D5g000004XyZ1');
    this.schema = new Schema(options.customFields ?? {}, options.objects);
    this.contactEmailDuplicateRule = options.contactEmailDuplicateRule ?? false;
    this.bus = new EventBus({ retentionMs: options.eventRetentionMs ?? 72 * 3600_000, maxEventsPerChannel: options.maxEventsPerChannel ?? 2_000_000 });
    for (const object of this.schema.objects.values()) this.stores.set(object.name.toLowerCase(), new ObjectStore(object));
    this.bus.declare('/data/ChangeEvents');
    for (const name of ['Account', 'Contact', 'AccountContactRelation']) this.bus.declare(`/data/${name}ChangeEvent`);
    if (this.hasObject('Organization')) this.putOrganization();
  }

  /** The Organization row, with the org's id: written directly, as no API creates it. */
  private putOrganization(): void {
    const now = wholeSecondNow();
    this.putSystemRecord('Organization', {
      Id: this.orgId, IsDeleted: false, CreatedDate: now, LastModifiedDate: now, SystemModstamp: now, CreatedById: null, LastModifiedById: null,
      Name: this.options.name ?? 'journy demo (emulated)', Country: 'BE', IsSandbox: this.options.sandbox === true, OrganizationType: 'Enterprise Edition',
      InstanceName: this.options.sandbox ? 'CS162' : 'EU46', LanguageLocaleKey: 'en_US', DefaultLocaleSidKey: 'nl_BE', TimeZoneSidKey: 'Europe/Brussels',
    });
  }

  store(objectName: string): ObjectStore {
    const store = this.stores.get(objectName.toLowerCase());
    if (!store) throw new SaveFailure([saveError('INVALID_TYPE', `sObject type '${objectName}' is not supported.`)]);
    return store;
  }

  hasObject(objectName: string): boolean {
    return this.stores.has(objectName.toLowerCase());
  }

  get(objectName: string, id: string, includeDeleted = false): Rec | undefined {
    const rec = this.stores.get(objectName.toLowerCase())?.records.get(to18(id));
    if (!rec || (!includeDeleted && rec.IsDeleted)) return undefined;
    return rec;
  }

  /** Any object's record by id (the key prefix names the object). */
  getAny(id: string, includeDeleted = false): { object: ObjectDef; rec: Rec } | undefined {
    const object = this.schema.byPrefix(id);
    if (!object || !isValidIdShape(id)) return undefined;
    const rec = this.get(object.name, id, includeDeleted);
    return rec ? { object, rec } : undefined;
  }

  all(objectName: string): IterableIterator<Rec> {
    return this.store(objectName).records.values();
  }

  count(objectName: string, includeDeleted = false): number {
    const store = this.store(objectName);
    if (includeDeleted) return store.records.size;
    let n = 0;
    for (const rec of store.records.values()) if (!rec.IsDeleted) n++;
    return n;
  }

  childIds(childObject: string, field: string, parentId: string): string[] {
    return this.store(childObject).lookup(field, parentId);
  }

  findBy(objectName: string, field: string, value: StoredValue, includeDeleted = false): string[] {
    const store = this.store(objectName);
    const def = store.def.fields.get(field.toLowerCase());
    if (!def) return [];
    if (store.indexes.has(field.toLowerCase())) {
      return store.lookup(field, value).filter((id) => includeDeleted || !store.records.get(id)!.IsDeleted);
    }
    const out: string[] = [];
    const needle = value === null ? null : String(value).toLowerCase();
    for (const [id, rec] of store.records) {
      if (!includeDeleted && rec.IsDeleted) continue;
      const v = rec[def.name];
      if ((v === null || v === undefined ? null : String(v).toLowerCase()) === needle) out.push(id);
    }
    return out;
  }

  begin(context: WriteContext): Transaction {
    return new Transaction(context);
  }

  // ---------------------------------------------------------------------------------------------------------
  // writes

  insert(tx: Transaction, objectName: string, input: Record<string, unknown>, options: { fromText?: boolean; allowId?: boolean } = {}): string {
    const store = this.store(objectName);
    const object = store.def;
    if (READ_ONLY_OBJECTS.has(object.name) && !tx.seeding) {
      throw new SaveFailure([saveError('INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${object.label}`)]);
    }
    const values = this.readInput(object, input, 'create', options.fromText ?? false);
    const id = this.ids.next(object.keyPrefix);
    const rec: Rec = {};
    for (const name of object.fieldOrder) {
      const def = object.fields.get(name.toLowerCase())!;
      rec[name] = def.defaultValue === null || def.defaultValue === undefined ? null : (def.defaultValue as StoredValue);
    }
    Object.assign(rec, values);
    rec.Id = id;
    rec.IsDeleted = false;
    rec.CreatedDate = tx.now;
    rec.LastModifiedDate = tx.now;
    rec.SystemModstamp = tx.now;
    rec.CreatedById = tx.context.userId;
    rec.LastModifiedById = tx.context.userId;
    if (object.fields.has('ownerid') && rec.OwnerId === null) rec.OwnerId = tx.context.userId;
    if (object.name === 'AccountContactRelation') rec.IsDirect = false;
    this.computeDerived(object, rec);
    this.checkRequired(object, rec);
    this.checkReferences(object, rec, Object.keys(values));
    this.checkUnique(store, rec, null);
    this.checkDuplicateRule(object, rec, null);
    if (object.name === 'AccountContactRelation') this.checkRelationUnique(rec);
    this.put(tx, store, id, rec);
    tx.changes.push({ entity: object.name, changeType: 'CREATE', recordId: id, changedFields: [], body: this.createBody(object, rec) });
    if (object.name === 'Contact' && rec.AccountId) this.insertDirectRelation(tx, id, rec.AccountId as string);
    return id;
  }

  update(tx: Transaction, objectName: string, id: string, input: Record<string, unknown>, options: { fromText?: boolean } = {}): void {
    const store = this.store(objectName);
    const object = store.def;
    const existing = this.requireRecord(store, id);
    const values = this.readInput(object, input, 'update', options.fromText ?? false);
    const next: Rec = { ...existing, ...values };
    this.computeDerived(object, next);
    this.checkRequired(object, next);
    this.checkReferences(object, next, Object.keys(values));
    this.checkUnique(store, next, existing.Id as string);
    this.checkDuplicateRule(object, next, existing.Id as string);
    const changed = object.fieldOrder.filter((name) => !SYSTEM_FIELDS.has(name) && !sameValue(existing[name], next[name]));
    next.LastModifiedDate = tx.now;
    next.SystemModstamp = tx.now;
    const modifierChanged = existing.LastModifiedById !== tx.context.userId;
    next.LastModifiedById = tx.context.userId;
    this.put(tx, store, existing.Id as string, next);
    tx.changes.push({ entity: object.name, changeType: 'UPDATE', recordId: existing.Id as string, ...this.updateBody(object, existing, next, changed, modifierChanged) });
    if (object.name === 'Contact' && changed.includes('AccountId')) this.moveDirectRelation(tx, existing.Id as string, next.AccountId as string | null);
  }

  delete(tx: Transaction, objectName: string, id: string): void {
    const store = this.store(objectName);
    if (READ_ONLY_OBJECTS.has(store.def.name)) throw new SaveFailure([saveError('INVALID_TYPE_FOR_OPERATION', `entity type cannot be deleted: ${store.def.label}`)]);
    const existing = this.requireRecord(store, id);
    this.markDeleted(tx, store, existing);
  }

  undelete(tx: Transaction, objectName: string, id: string): void {
    const store = this.store(objectName);
    const existing = store.records.get(to18(id));
    if (!existing) throw new SaveFailure([saveError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id')]);
    if (!existing.IsDeleted) throw new SaveFailure([saveError('UNDELETE_FAILED', 'Entity is not in the recycle bin')]);
    const restored: Rec = { ...existing, IsDeleted: false, LastModifiedDate: tx.now, SystemModstamp: tx.now, LastModifiedById: tx.context.userId };
    this.checkUnique(store, restored, existing.Id as string);
    this.put(tx, store, existing.Id as string, restored);
    tx.changes.push({ entity: store.def.name, changeType: 'UNDELETE', recordId: existing.Id as string, changedFields: [], body: this.createBody(store.def, restored) });
    for (const child of store.def.childRelationships) {
      if (!child.cascadeDelete) continue;
      for (const childId of this.childIds(child.childSObject, child.field, existing.Id as string)) {
        const childRec = this.store(child.childSObject).records.get(childId)!;
        if (childRec.IsDeleted && childRec.SystemModstamp === existing.SystemModstamp) this.undelete(tx, child.childSObject, childId);
      }
    }
  }

  /** Upsert by an external id (or idLookup) field: insert, update, or MULTIPLE (300) when several match. */
  upsert(tx: Transaction, objectName: string, externalField: string, externalValue: unknown, input: Record<string, unknown>, options: { fromText?: boolean } = {}): { id: string; created: boolean } {
    const store = this.store(objectName);
    const object = store.def;
    const def = object.fields.get(externalField.toLowerCase());
    if (!def || !(def.externalId || def.idLookup)) {
      throw new SaveFailure([saveError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${externalField}`)], 404);
    }
    if (def.name === 'Id') {
      if (externalValue === null || externalValue === undefined || externalValue === '') {
        return { id: this.insert(tx, objectName, input, options), created: true };
      }
      this.update(tx, objectName, String(externalValue), input, options);
      return { id: to18(String(externalValue)), created: false };
    }
    const stored = coerce(def, externalValue, options.fromText);
    if (stored === null) throw new SaveFailure([saveError('MISSING_ARGUMENT', `${def.name} not specified`, [def.name])]);
    const bodyValue = Object.entries(input).find(([key]) => key.toLowerCase() === def.name.toLowerCase())?.[1];
    if (bodyValue !== undefined && bodyValue !== null && String(coerce(def, bodyValue, options.fromText)).toLowerCase() !== String(stored).toLowerCase()) {
      throw new SaveFailure([saveError('INVALID_FIELD', `The value of the external ID field ${def.name} in the request body doesn't match the value in the URL`, [def.name])]);
    }
    const matches = this.findBy(objectName, def.name, stored);
    if (matches.length > 1) throw new MultipleMatches(object.name, matches);
    const rest = Object.fromEntries(Object.entries(input).filter(([key]) => key.toLowerCase() !== def.name.toLowerCase()));
    if (matches.length === 1) {
      this.update(tx, objectName, matches[0], rest, options);
      return { id: matches[0], created: false };
    }
    return { id: this.insert(tx, objectName, { ...rest, [def.name]: externalValue }, options), created: true };
  }

  commit(tx: Transaction): void {
    if (tx.changes.length === 0) return;
    const commitNumber = ++this.commitNumber;
    const origin = changeOrigin(tx.context);
    // Identical changes of one transaction are merged into one event with several record ids, as Salesforce does.
    const merged: { change: Change; recordIds: string[] }[] = [];
    const byKey = new Map<string, { change: Change; recordIds: string[] }>();
    for (const change of tx.changes) {
      const key = change.changeType === 'UPDATE' || change.changeType === 'DELETE' ? `${change.entity}|${change.changeType}|${JSON.stringify(change.changedFields)}|${JSON.stringify(change.body)}` : null;
      const existing = key ? byKey.get(key) : undefined;
      if (existing) {
        existing.recordIds.push(change.recordId);
      } else {
        const entry = { change, recordIds: [change.recordId] };
        merged.push(entry);
        if (key) byKey.set(key, entry);
      }
    }
    merged.forEach(({ change, recordIds }, index) => {
      const header = {
        entityName: change.entity,
        recordIds,
        changeType: change.changeType,
        changedFields: change.changedFields,
        changeOrigin: origin,
        transactionKey: tx.key,
        sequenceNumber: index + 1,
        isTransactionEnd: index === merged.length - 1,
        commitTimestamp: tx.now,
        commitNumber,
        commitUser: tx.context.userId,
      };
      this.deliverLater(() => this.publishChange(change.entity, header, change.body));
    });
  }

  /**
   * Publishes after the profile's delay, never before an event committed earlier: one FIFO queue drained by one
   * timer (separate timers due in the same millisecond may fire in any order).
   */
  private deliverLater(publish: () => void): void {
    const delay = this.changeEventDelay();
    if (delay <= 0 && this.deliveries.length === 0) return publish();
    this.lastDeliveryAt = Math.max(this.lastDeliveryAt, Date.now() + delay);
    this.deliveries.push({ at: this.lastDeliveryAt, publish });
    if (this.deliveries.length === 1) this.drainLater();
  }

  private drainLater(): void {
    const head = this.deliveries[0];
    if (!head) return;
    setTimeout(() => {
      while (this.deliveries.length > 0 && this.deliveries[0].at <= Date.now()) this.deliveries.shift()!.publish();
      this.drainLater();
    }, Math.max(0, head.at - Date.now())).unref?.();
  }

  /** Publishes a change (or a GAP event: header only) on the entity's channel and the all-changes channel. */
  publishChange(entity: string, header: Record<string, unknown>, body: Record<string, unknown>): void {
    const schema = Buffer.from(`${entity}ChangeEvent`).toString('base64url').slice(0, 22);
    for (const channel of [`/data/${entity}ChangeEvent`, '/data/ChangeEvents']) {
      this.bus.publish(channel, (replayId) => ({ schema, payload: { ChangeEventHeader: header, ...body }, event: { replayId } }));
    }
  }

  nextCommitNumber(): number {
    return ++this.commitNumber;
  }

  rollback(tx: Transaction): void {
    this.rollbackTo(tx, { undo: 0, changes: 0 });
  }

  /** Undoes the writes made since a savepoint of the transaction (one failed record of a collection). */
  rollbackTo(tx: Transaction, mark: { undo: number; changes: number }): void {
    const tail = tx.undo.splice(mark.undo);
    for (const entry of tail.reverse()) {
      const store = this.store(entry.object.name);
      store.index(entry.id, store.records.get(entry.id) ?? null, false);
      if (entry.before) {
        store.records.set(entry.id, entry.before);
        store.index(entry.id, entry.before, true);
      } else {
        store.records.delete(entry.id);
      }
    }
    tx.changes.length = mark.changes;
  }

  /** Loads records directly (seeding): validated like a write, no change events. */
  seedInsert(objectName: string, input: Record<string, unknown>, userId: string, at = Date.now()): string {
    const tx = this.begin({ userId, api: 'classic', apiVersion: LATEST_VERSION, client: null });
    Object.assign(tx, { now: Math.floor(at / 1000) * 1000, seeding: true });
    const id = this.insert(tx, objectName, input);
    return id;
  }

  reset(): void {
    for (const store of this.stores.values()) {
      store.records.clear();
      for (const index of store.indexes.values()) index.clear();
    }
    this.bus.reset();
    if (this.hasObject('Organization')) this.putOrganization();
  }

  /** Writes a row no API may write (read-only objects), as it is. */
  putSystemRecord(objectName: string, rec: Rec): void {
    const store = this.store(objectName);
    const full: Rec = {};
    for (const name of store.def.fieldOrder) full[name] = null;
    Object.assign(full, rec);
    store.index(rec.Id as string, store.records.get(rec.Id as string) ?? null, false);
    store.records.set(rec.Id as string, full);
    store.index(rec.Id as string, full, true);
  }

  // ---------------------------------------------------------------------------------------------------------
  // internals

  private readInput(object: ObjectDef, input: Record<string, unknown>, mode: 'create' | 'update', fromText: boolean): Rec {
    const values: Rec = {};
    const errors: SaveError[] = [];
    const readOnly: string[] = [];
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes' || (mode === 'update' && key.toLowerCase() === 'id')) continue;
      const def = object.fields.get(key.toLowerCase());
      if (!def) {
        throw new SaveFailure([saveError('INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key])]);
      }
      if (mode === 'create' ? !def.createable : !def.updateable) {
        readOnly.push(def.name);
        continue;
      }
      try {
        values[def.name] = coerce(def, raw, fromText);
      } catch (error) {
        if (error instanceof SaveFailure) errors.push(...error.errors);
        else throw error;
      }
    }
    if (readOnly.length > 0) {
      errors.unshift(
        saveError(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to ${mode} fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          readOnly,
        ),
      );
    }
    if (errors.length > 0) throw new SaveFailure(errors);
    return values;
  }

  private computeDerived(object: ObjectDef, rec: Rec): void {
    if (object.name === 'Contact' || object.name === 'User') {
      rec.Name = [rec.FirstName, rec.LastName].filter((v) => v !== null && v !== undefined && v !== '').join(' ') || null;
    }
  }

  private checkRequired(object: ObjectDef, rec: Rec): void {
    const missing = object.fieldOrder.filter((name) => {
      const def = object.fields.get(name.toLowerCase())!;
      return !def.nillable && !def.defaultedOnCreate && !def.calculated && (rec[name] === null || rec[name] === undefined);
    });
    if (missing.length > 0) throw new SaveFailure([saveError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing)]);
  }

  private checkReferences(object: ObjectDef, rec: Rec, touched: string[]): void {
    for (const name of touched) {
      const def = object.fields.get(name.toLowerCase())!;
      const value = rec[def.name];
      if (def.type !== 'reference' || value === null) continue;
      const target = this.schema.byPrefix(String(value));
      if (!target || !def.referenceTo.includes(target.name)) {
        throw new SaveFailure([saveError('MALFORMED_ID', `${def.label.replace(/ ID$/, '').replace(/Id$/, '').trim()} ID: id value of incorrect type: ${value}`, [def.name])]);
      }
      const parent = this.store(target.name).records.get(String(value));
      if (!parent) throw new SaveFailure([saveError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [def.name])]);
      if (parent.IsDeleted) throw new SaveFailure([saveError('ENTITY_IS_DELETED', 'entity is deleted', [def.name])]);
    }
  }

  private checkUnique(store: ObjectStore, rec: Rec, selfId: string | null): void {
    for (const def of store.def.fields.values()) {
      if (!def.unique || rec[def.name] === null || rec[def.name] === undefined) continue;
      const other = store.lookup(def.name, rec[def.name]).find((id) => id !== selfId && !store.records.get(id)!.IsDeleted);
      if (other) {
        throw new SaveFailure([saveError('DUPLICATE_VALUE', `duplicate value found: ${def.name} duplicates value on record with id: ${other}`, [])]);
      }
    }
  }

  private checkDuplicateRule(object: ObjectDef, rec: Rec, selfId: string | null): void {
    if (!this.contactEmailDuplicateRule || object.name !== 'Contact' || !rec.Email) return;
    const other = this.findBy('Contact', 'Email', rec.Email).find((id) => id !== selfId);
    if (other) throw new SaveFailure([saveError('DUPLICATES_DETECTED', 'Use one of these records?', [])]);
  }

  private checkRelationUnique(rec: Rec): void {
    const existing = this.findBy('AccountContactRelation', 'ContactId', rec.ContactId).find((id) => this.get('AccountContactRelation', id)?.AccountId === rec.AccountId);
    if (existing) throw new SaveFailure([saveError('DUPLICATE_VALUE', `duplicate value found: <unknown> duplicates value on record with id: ${existing}`, [])]);
  }

  private requireRecord(store: ObjectStore, id: string): Rec {
    if (!isValidIdShape(id) || id.slice(0, 3) !== store.def.keyPrefix) {
      throw new SaveFailure([saveError('MALFORMED_ID', `${store.def.label} ID: id value of incorrect type: ${id}`, ['Id'])]);
    }
    const rec = store.records.get(to18(id));
    if (!rec) throw new SaveFailure([saveError('NOT_FOUND', 'The requested resource does not exist')], 404);
    if (rec.IsDeleted) throw new SaveFailure([saveError('ENTITY_IS_DELETED', 'entity is deleted', [])], 404);
    return rec;
  }

  private put(tx: Transaction, store: ObjectStore, id: string, rec: Rec): void {
    const before = store.records.get(id) ?? null;
    tx.undo.push({ object: store.def, id, before });
    store.index(id, before, false);
    store.records.set(id, rec);
    store.index(id, rec, true);
  }

  private markDeleted(tx: Transaction, store: ObjectStore, existing: Rec): void {
    const deleted: Rec = { ...existing, IsDeleted: true, LastModifiedDate: tx.now, SystemModstamp: tx.now, LastModifiedById: tx.context.userId };
    this.put(tx, store, existing.Id as string, deleted);
    tx.changes.push({ entity: store.def.name, changeType: 'DELETE', recordId: existing.Id as string, changedFields: [], body: {} });
    for (const child of store.def.childRelationships) {
      if (!child.cascadeDelete) continue;
      const childStore = this.store(child.childSObject);
      for (const childId of childStore.lookup(child.field, existing.Id as string)) {
        const childRec = childStore.records.get(childId)!;
        if (!childRec.IsDeleted) this.markDeleted(tx, childStore, childRec);
      }
    }
  }

  private insertDirectRelation(tx: Transaction, contactId: string, accountId: string): void {
    const store = this.store('AccountContactRelation');
    const existing = this.findBy('AccountContactRelation', 'ContactId', contactId).find((id) => store.records.get(id)!.AccountId === accountId);
    if (existing) {
      const rec = store.records.get(existing)!;
      if (!rec.IsDirect) this.setDirect(tx, store, rec, true);
      return;
    }
    const id = this.ids.next(store.def.keyPrefix);
    const rec: Rec = {};
    for (const name of store.def.fieldOrder) rec[name] = null;
    Object.assign(rec, {
      Id: id, IsDeleted: false, AccountId: accountId, ContactId: contactId, IsDirect: true, IsActive: true,
      CreatedDate: tx.now, LastModifiedDate: tx.now, SystemModstamp: tx.now, CreatedById: tx.context.userId, LastModifiedById: tx.context.userId,
    });
    this.put(tx, store, id, rec);
    tx.changes.push({ entity: 'AccountContactRelation', changeType: 'CREATE', recordId: id, changedFields: [], body: this.createBody(store.def, rec) });
  }

  /** Changing Contact.AccountId: the old direct relationship becomes indirect, the new account's becomes direct. */
  private moveDirectRelation(tx: Transaction, contactId: string, accountId: string | null): void {
    const store = this.store('AccountContactRelation');
    for (const id of this.findBy('AccountContactRelation', 'ContactId', contactId)) {
      const rec = store.records.get(id)!;
      if (rec.IsDirect && rec.AccountId !== accountId) this.setDirect(tx, store, rec, false);
    }
    if (accountId) this.insertDirectRelation(tx, contactId, accountId);
  }

  private setDirect(tx: Transaction, store: ObjectStore, rec: Rec, direct: boolean): void {
    const next = { ...rec, IsDirect: direct, LastModifiedDate: tx.now, SystemModstamp: tx.now, LastModifiedById: tx.context.userId };
    this.put(tx, store, rec.Id as string, next);
    tx.changes.push({ entity: 'AccountContactRelation', changeType: 'UPDATE', recordId: rec.Id as string, ...this.updateBody(store.def, rec, next, ['IsDirect'], rec.LastModifiedById !== tx.context.userId) });
  }

  /** CREATE / UNDELETE body: every non-null field plus system fields; Contact's name as the compound Name. */
  private createBody(object: ObjectDef, rec: Rec): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const name of object.fieldOrder) {
      if (name === 'Id' || name === 'IsDeleted' || name === 'SystemModstamp') continue;
      const def = object.fields.get(name.toLowerCase())!;
      if (isNameComponent(object, name) || (object.name === 'Contact' && name === 'Name')) continue;
      const value = rec[name];
      if (value === null || value === undefined) continue;
      body[name] = toCdc(def, value);
    }
    if (object.name === 'Contact') {
      body.Name = { Salutation: rec.Salutation ?? null, FirstName: rec.FirstName ?? null, LastName: rec.LastName ?? null };
    }
    return body;
  }

  /** UPDATE body: only what changed (null when cleared), plus LastModifiedDate; compound Name parts dotted. */
  private updateBody(object: ObjectDef, before: Rec, after: Rec, changed: string[], modifierChanged: boolean): { changedFields: string[]; body: Record<string, unknown> } {
    const body: Record<string, unknown> = {};
    const changedFields: string[] = [];
    for (const name of changed) {
      const def = object.fields.get(name.toLowerCase()) as FieldDef;
      if (object.name === 'Contact' && name === 'Name') continue;
      if (isNameComponent(object, name)) {
        const compound = (body.Name as Record<string, unknown> | undefined) ?? {};
        compound[name] = toCdc(def, after[name]);
        body.Name = compound;
        changedFields.push(`Name.${name}`);
        continue;
      }
      body[name] = toCdc(def, after[name]);
      changedFields.push(name);
    }
    body.LastModifiedDate = toCdc(object.fields.get('lastmodifieddate')!, after.LastModifiedDate);
    changedFields.push('LastModifiedDate');
    if (modifierChanged) {
      body.LastModifiedById = after.LastModifiedById;
      changedFields.push('LastModifiedById');
    }
    void before;
    return { changedFields, body };
  }
}

export class MultipleMatches extends Error {
  constructor(readonly objectName: string, readonly ids: string[]) {
    super(`${ids.length} ${objectName} records match`);
  }
}

function isNameComponent(object: ObjectDef, name: string): boolean {
  return object.name === 'Contact' && (name === 'FirstName' || name === 'LastName' || name === 'Salutation');
}

function sameValue(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
  return (a ?? null) === (b ?? null);
}
