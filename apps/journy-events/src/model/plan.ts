import { DEFAULT_MAPPINGS, sameSalesforceValue, toSalesforceValue, type JournyValue, type SalesforceFieldMeta, type SalesforceValue } from '@connector/mapping';
import { entityKey, payloadOf, type EntityKind, type ProfileEvent } from './profile-event';

/** One mapping of a connection, resolved against the org's describe metadata. */
export interface ResolvedMapping {
  journyProperty: string;
  salesforceField: string;
  meta: SalesforceFieldMeta;
}

/** What one connection does with one kind of entity. */
export interface SyncRules {
  connectionId: string;
  kind: EntityKind;
  mappings: ResolvedMapping[];
  /** Selected segment ids; empty: every entity syncs. */
  segments: string[];
}

/**
 * What the app remembers of an entity between events (in memory): the version last applied, the mapped
 * properties last known (for a full sync on entering a segment), the values last written (no-op skipping) and
 * its segments. Lost on restart or rebalance: that costs a re-write, never a wrong skip.
 */
export interface EntityMemory {
  version: number;
  props: Record<string, JournyValue>;
  lastWritten: Record<string, SalesforceValue>;
  segments: string[] | null;
  email: string | null;
  domain: string | null;
}

export function emptyMemory(segments: string[] | null = null): EntityMemory {
  return { version: -1, props: {}, lastWritten: {}, segments, email: null, domain: null };
}

export interface Skip {
  eventId: string;
  reason: 'STALE_VERSION' | 'ECHO_SUPPRESSED' | 'NOT_IN_SEGMENT' | 'LEFT_SEGMENT' | 'ENTITY_DELETED' | 'NO_CHANGE';
  message: string;
}

export interface MembershipChange {
  op: 'ADD' | 'REMOVE';
  user: ProfileEvent['entity'];
  account: ProfileEvent['entity'];
  eventId: string;
}

/** The net effect of a batch's events on one entity for one connection. */
export interface Intent {
  kind: EntityKind;
  entityKey: string;
  /** The entity as the latest event names it. */
  entity: ProfileEvent['entity'];
  events: ProfileEvent[];
  skips: Skip[];
  /** Salesforce field → value to write (no-ops removed); empty: nothing to write. */
  fields: Record<string, SalesforceValue>;
  /** The journy property each written field comes from. */
  sources: Record<string, string>;
  rejected: { field: string; property: string; reason: string }[];
  /** A full sync (entered a selected segment, or a snapshot). */
  full: boolean;
  inScope: boolean;
  memberships: MembershipChange[];
  /** Memory after the batch, to keep once the write succeeded. */
  next: EntityMemory;
}

/**
 * Folds one entity's events (in order) into what to write: stale versions and the connector's own echoes are
 * skipped, segment moves decide whether it syncs (entering a selected segment syncs every mapped field, leaving
 * stops syncs), property changes become converted Salesforce values, and values equal to those last written
 * are dropped. Pure: the caller supplies the memory and keeps `next` only if the write succeeds.
 */
export function planEntity(rules: SyncRules, events: ProfileEvent[], memory: EntityMemory): Intent {
  const next: EntityMemory = { ...memory, props: { ...memory.props }, lastWritten: { ...memory.lastWritten }, segments: memory.segments ? [...memory.segments] : null };
  const last = events[events.length - 1];
  const skips: Skip[] = [];
  const memberships: MembershipChange[] = [];
  const dirty = new Set<string>();
  const echoed = new Set<string>();
  const filtered = rules.segments.length > 0;
  const inSegment = (segments: string[] | null) => !filtered || (segments ?? []).some((s) => rules.segments.includes(s));
  const wasIn = memory.version >= 0 && inSegment(memory.segments);
  let full = memory.version < 0; // first sight: everything known is written
  let entered = false;
  let left: string | null = null;
  const mapped = new Set(rules.mappings.map((m) => m.journyProperty));

  for (const event of events) {
    if (event.entityVersion <= next.version) {
      skips.push({ eventId: event.eventId, reason: 'STALE_VERSION', message: `version ${event.entityVersion} is not newer than ${next.version}, already applied` });
      continue;
    }
    next.version = event.entityVersion;
    if (event.entity.email) next.email = event.entity.email.trim().toLowerCase();
    if (event.entity.domain) next.domain = event.entity.domain.trim().toLowerCase();
    const before = inSegment(next.segments);
    if (event.segments !== null) next.segments = [...event.segments];
    const payload = payloadOf(event);
    const echo = event.origin.kind === 'CONNECTOR' && event.origin.connectionId === rules.connectionId;
    switch (payload.type) {
      case 'PropertiesChanged': {
        if (payload.snapshot) {
          for (const [name, value] of Object.entries(payload.snapshot)) if (mapped.has(name)) { next.props[name] = value ?? null; (echo ? echoed : dirty).add(name); }
        }
        for (const change of payload.changes) {
          if (!mapped.has(change.name)) continue;
          next.props[change.name] = change.current;
          if (echo) { echoed.add(change.name); dirty.delete(change.name); } else { dirty.add(change.name); echoed.delete(change.name); }
        }
        if (echo) skips.push({ eventId: event.eventId, reason: 'ECHO_SUPPRESSED', message: 'the change came from this connection (Salesforce already has it)' });
        break;
      }
      case 'SegmentEntered':
        next.segments = [...new Set([...(next.segments ?? []), payload.segmentId])];
        break;
      case 'SegmentLeft':
        next.segments = (next.segments ?? []).filter((s) => s !== payload.segmentId);
        break;
      case 'MembershipAdded': case 'MembershipRemoved': {
        const self = event.entity;
        const op = payload.type === 'MembershipAdded' ? 'ADD' : 'REMOVE';
        memberships.push(rules.kind === 'USER' ? { op, user: self, account: payload.member, eventId: event.eventId } : { op, user: payload.member, account: self, eventId: event.eventId });
        break;
      }
      case 'EntityDeleted':
        skips.push({ eventId: event.eventId, reason: 'ENTITY_DELETED', message: `deleted in journy${payload.reason ? ` (${payload.reason})` : ''}; the Salesforce record is kept` });
        break;
    }
    const after = inSegment(next.segments);
    if (!before && after) { entered = true; left = null; }
    if (before && !after) left = event.eventId;
  }

  const inScope = inSegment(next.segments);
  if (entered && !wasIn) full = true;
  const intent: Intent = {
    kind: rules.kind, entityKey: entityKey(last) ?? '', entity: mergedEntity(events), events, skips, fields: {}, sources: {}, rejected: [], full, inScope, memberships, next,
  };
  if (!inScope) {
    intent.memberships = [];
    if (left !== null && wasIn) intent.skips.push({ eventId: left, reason: 'LEFT_SEGMENT', message: 'left the selected segments: no further syncs' });
    else intent.skips.push({ eventId: last.eventId, reason: 'NOT_IN_SEGMENT', message: `not in a selected segment (${rules.segments.join(', ')})` });
    return intent;
  }
  for (const mapping of rules.mappings) {
    const property = mapping.journyProperty;
    if (!(property in next.props)) continue;
    const converted = toSalesforceValue(mapping.meta, next.props[property]);
    if (!converted.ok) {
      if (full || dirty.has(property)) intent.rejected.push({ field: mapping.salesforceField, property, reason: converted.reason });
      continue;
    }
    if (echoed.has(property) && !full) { next.lastWritten[mapping.salesforceField] = converted.value; continue; }
    if (!full && !dirty.has(property)) continue;
    if (mapping.salesforceField in memory.lastWritten && sameSalesforceValue(memory.lastWritten[mapping.salesforceField], converted.value)) continue;
    intent.fields[mapping.salesforceField] = converted.value;
    intent.sources[mapping.salesforceField] = property;
  }
  return intent;
}

/** The defaults of the product document plus the connection's own mappings, resolved against describe. */
export function resolveMappings(
  object: 'Contact' | 'Account',
  custom: { journyProperty: string; salesforceField: string }[],
  fields: ReadonlyMap<string, SalesforceFieldMeta>,
): ResolvedMapping[] {
  const all = [...DEFAULT_MAPPINGS[object], ...custom];
  const resolved: ResolvedMapping[] = [];
  for (const m of all) {
    const meta = fields.get(m.salesforceField.toLowerCase());
    if (meta && (meta.updateable || meta.createable)) resolved.push({ journyProperty: m.journyProperty, salesforceField: meta.name, meta });
  }
  return resolved;
}

function mergedEntity(events: ProfileEvent[]): ProfileEvent['entity'] {
  const merged: ProfileEvent['entity'] = { userId: null, email: null, accountId: null, domain: null };
  for (const { entity } of events) {
    for (const key of ['userId', 'email', 'accountId', 'domain'] as const) if (entity[key]) merged[key] = entity[key];
  }
  return merged;
}
