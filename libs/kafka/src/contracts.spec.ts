import * as avro from 'avsc';
import { loadContractSchema } from './contracts';
import type { Command, ConnectionChange, ProfileEvent, SyncLogRecord } from './contracts/contract-types.generated';
import { TOPICS } from './topics';

// Fixtures typed with the generated types (the compiler checks them) and round-tripped through the real Avro
// schemas (avsc checks them): the two can't drift apart unnoticed.
const profileEvent: ProfileEvent = {
  eventId: 'evt-1',
  tenantId: 'acme',
  occurredAt: 1764346800000,
  entityType: 'USER',
  entity: { userId: 'u-1', email: 'jane@example.com', accountId: null, domain: null },
  entityVersion: 7,
  origin: { kind: 'COMPUTED', connectorId: null, connectionId: null },
  segments: ['seg-active'],
  payload: {
    'journy.PropertiesChanged': {
      changes: [
        { name: 'first_name', previous: null, current: 'Jane', computed: false },
        { name: 'health_score', previous: 41.5, current: 73, computed: true },
        { name: 'trial', previous: true, current: false, computed: false },
        { name: 'plans', previous: ['basic'], current: ['basic', 'pro'], computed: false },
        { name: 'signed_up_at', previous: null, current: { iso: '2026-11-01T09:30:00Z' }, computed: false },
        { name: 'phone', previous: '+32 475 00 00 00', current: null, computed: false },
      ],
      snapshot: { first_name: 'Jane', health_score: 73 },
    },
  },
};

const segmentEvent: ProfileEvent = {
  ...profileEvent,
  eventId: 'evt-2',
  entityType: 'ACCOUNT',
  entity: { userId: null, email: null, accountId: 'acc-9', domain: 'acme.com' },
  payload: { 'journy.SegmentEntered': { segmentId: 'seg-1', segmentName: 'Enterprise' } },
};

const membershipEvent: ProfileEvent = {
  ...profileEvent,
  eventId: 'evt-3',
  payload: { 'journy.MembershipAdded': { member: { userId: null, email: null, accountId: 'acc-9', domain: null } } },
};

const command: Command = {
  commandId: 'cmd-1',
  tenantId: 'acme',
  connectionId: 'con_1',
  issuedAt: 1764346800000,
  mode: 'INITIAL_IMPORT',
  source: { orgId: '00D000000000001EAA', objectType: 'Contact', recordId: '003000000000001AAA', modifiedAt: 1764346700000, replayId: null },
  payload: { 'journy.UpsertUser': { userId: null, email: 'jane@example.com', properties: { first_name: 'Jane', score: 3, vip: true, tags: ['a'], since: { iso: '2026-01-01' }, phone: null } } },
};

const members: Command = {
  ...command,
  commandId: 'cmd-2',
  payload: { 'journy.AddAccountMembers': { accountId: 'acc-9', users: [{ userId: null, email: 'jane@example.com' }] } },
};

const syncLog: SyncLogRecord = {
  logId: 'log-1',
  tenantId: 'acme',
  connectionId: 'con_1',
  occurredAt: 1764346800000,
  direction: 'JOURNY_TO_SALESFORCE',
  mode: 'LIVE',
  objectType: 'USER',
  operation: 'UPDATE',
  status: 'FAILED',
  reason: null,
  message: 'Salesforce refused the record',
  error: { code: 'STRING_TOO_LONG', message: 'Title: data value too large', fields: ['Title'] },
  journy: { userId: 'u-1', email: 'jane@example.com', accountId: null, domain: null },
  salesforce: { objectType: 'Contact', recordId: '003000000000001AAA' },
  fields: [{ name: 'Title', source: 'job_title', value: 'x'.repeat(200) }],
  correlationId: 'evt-1',
  attempt: 1,
  durationMs: 87,
};

const change: ConnectionChange = { connectionId: 'con_1', tenantId: 'acme', kind: 'UPDATED', revision: 4, enabled: true, changedAt: 1764346800000 };

describe('Avro contracts', () => {
  const roundTrip = (contract: Parameters<typeof loadContractSchema>[0], value: unknown) => {
    const type = avro.Type.forSchema(loadContractSchema(contract) as avro.Schema);
    const errors: string[] = [];
    expect(type.isValid(value, { errorHook: (path) => errors.push(path.join('.')) })).toBe(true);
    expect(errors).toEqual([]);
    return type.fromBuffer(type.toBuffer(value));
  };

  it.each([
    ['profile event with every property type', TOPICS.profileEvents.contract, profileEvent],
    ['segment entered', TOPICS.profileEvents.contract, segmentEvent],
    ['membership added', TOPICS.profileEvents.contract, membershipEvent],
    ['upsert user command', TOPICS.commands.contract, command],
    ['add members command', TOPICS.commands.contract, members],
    ['failed sync-log record', TOPICS.syncLog.contract, syncLog],
    ['connection change', TOPICS.connectionChanges.contract, change],
  ])('round-trips a %s', (_name, contract, value) => {
    expect(roundTrip(contract, value)).toEqual(value);
  });

  it('rejects a value that breaks the contract, naming the field', () => {
    const type = avro.Type.forSchema(loadContractSchema('journy.commands.v1') as avro.Schema);
    const paths: string[] = [];
    type.isValid({ ...command, mode: 'SOMETIMES' }, { errorHook: (path) => paths.push(path.join('.')) });
    expect(paths).toEqual(['mode']);
  });

  it('fills defaults when reading a record written without the optional fields', () => {
    const type = avro.Type.forSchema(loadContractSchema('connector.sync-log.v1') as avro.Schema);
    const minimal = avro.Type.forSchema({
      type: 'record',
      name: 'SyncLogRecord',
      namespace: 'connector',
      fields: (loadContractSchema('connector.sync-log.v1').fields as { name: string; default?: unknown }[]).filter((f) => !('default' in f)),
    } as avro.Schema);
    const { error: _e, fields: _f, reason: _r, message: _m, correlationId: _c, attempt: _a, durationMs: _d, ...required } = syncLog;
    const read = type.createResolver(minimal);
    const decoded = type.fromBuffer(minimal.toBuffer(required), read) as SyncLogRecord;
    expect(decoded.attempt).toBe(1);
    expect(decoded.fields).toEqual([]);
    expect(decoded.error).toBeNull();
  });
});
