import type { SalesforceFieldMeta } from '@connector/mapping';
import { emptyMemory, planEntity, type SyncRules } from './plan';
import type { ProfileEvent } from './profile-event';

const meta = (name: string, type: string, extra: Partial<SalesforceFieldMeta> = {}): SalesforceFieldMeta => ({
  name, label: name, type: type as SalesforceFieldMeta['type'], length: 80, precision: 5, scale: 2, digits: 0, nillable: true, createable: true, updateable: true,
  unique: false, externalId: false, idLookup: false, calculated: false, picklistValues: [], restrictedPicklist: false, referenceTo: [], ...extra,
});
const rules = (segments: string[] = []): SyncRules => ({
  connectionId: 'con_1', kind: 'USER', segments,
  mappings: [{ journyProperty: 'first_name', salesforceField: 'FirstName', meta: meta('FirstName', 'string') }, { journyProperty: 'score', salesforceField: 'Score__c', meta: meta('Score__c', 'percent') }],
});
let version = 0;
const event = (payload: ProfileEvent['payload'], extra: Partial<ProfileEvent> = {}): ProfileEvent => ({
  eventId: `e${++version}`, tenantId: 't', occurredAt: 0, entityType: 'USER', entity: { userId: 'u1', email: 'a@b.c', accountId: null, domain: null }, entityVersion: version,
  origin: { kind: 'COMPUTED', connectorId: null, connectionId: null }, segments: null, payload, ...extra,
});
const props = (changes: Record<string, unknown>) => ({ 'journy.PropertiesChanged': { changes: Object.entries(changes).map(([name, current]) => ({ name, previous: null, current: current as string, computed: false })), snapshot: null } });

describe('planning one entity', () => {
  it('folds events in order into the last value of each changed field', () => {
    const intent = planEntity(rules(), [event(props({ first_name: 'A', score: 10 })), event(props({ first_name: 'B' }))], emptyMemory());
    expect(intent.fields).toEqual({ FirstName: 'B', Score__c: 10 });
    expect(intent.next.version).toBe(version);
  });

  it('skips stale versions, echoes of this connection and values equal to those last written', () => {
    const memory = { ...emptyMemory(), version: 5, lastWritten: { FirstName: 'A' }, props: { first_name: 'A' } };
    const stale = event(props({ first_name: 'Old' }), { entityVersion: 4 });
    const echo = event(props({ score: 50 }), { entityVersion: 6, origin: { kind: 'CONNECTOR', connectorId: 'journy-connector', connectionId: 'con_1' } });
    const same = event(props({ first_name: 'A' }), { entityVersion: 7 });
    const intent = planEntity(rules(), [stale, echo, same], memory);
    expect(intent.skips.map((s) => s.reason)).toEqual(['STALE_VERSION', 'ECHO_SUPPRESSED']);
    expect(intent.fields).toEqual({});
    expect(intent.next.lastWritten).toEqual({ FirstName: 'A', Score__c: 50 }); // the echo is what Salesforce holds
  });

  it('syncs only inside the selected segments: entering writes every known field, leaving stops', () => {
    const outside = planEntity(rules(['vip']), [event(props({ first_name: 'A', score: 1 }), { segments: [] })], emptyMemory());
    expect(outside.inScope).toBe(false);
    expect(outside.skips[0].reason).toBe('NOT_IN_SEGMENT');
    const entered = planEntity(rules(['vip']), [event({ 'journy.SegmentEntered': { segmentId: 'vip', segmentName: null } })], outside.next);
    expect(entered.full).toBe(true);
    expect(entered.fields).toEqual({ FirstName: 'A', Score__c: 1 });
    const left = planEntity(rules(['vip']), [event({ 'journy.SegmentLeft': { segmentId: 'vip', segmentName: null } }), event(props({ first_name: 'Z' }))], { ...entered.next, lastWritten: entered.fields });
    expect(left.skips.map((s) => s.reason)).toEqual(['LEFT_SEGMENT']);
    expect(left.fields).toEqual({});
  });

  it('refuses a value that does not convert, keeping the rest', () => {
    const intent = planEntity(rules(), [event(props({ first_name: 'A', score: 'high' }))], emptyMemory());
    expect(intent.fields).toEqual({ FirstName: 'A' });
    expect(intent.rejected).toEqual([{ field: 'Score__c', property: 'score', reason: expect.stringContaining('not a number') }]);
  });
});
