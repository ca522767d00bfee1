import type { SyncLogRecord } from '@connector/kafka';
import type { RecordResult, WriteRecord } from '@connector/salesforce';
import type { Intent, MembershipChange } from '../model/plan';
import type { ProfileEvent } from '../model/profile-event';
import type { Attachment } from './membership-planner';
import { outboundLog } from './outbound-log';

const errorsText = (result: RecordResult, withCodes = true) => result.errors.map((e) => (withCodes ? `${e.code}: ${e.message}` : e.message)).join('; ');

/**
 * The sync-log lines of one connection's batch, one per record-level outcome: an entity written (with what was
 * not), refused by Salesforce, refused before any call (skipped or failed, with why), values journy sent that
 * no field could take, and each membership change (Contact.AccountId, or a secondary account relation).
 */
export class OutcomeLog {
  readonly lines: SyncLogRecord[] = [];

  constructor(private readonly connection: { tenantId: string; connectionId: string }) {}

  written(intent: Intent, operation: 'CREATE' | 'UPDATE', result: RecordResult, record: WriteRecord, object: 'Contact' | 'Account'): void {
    const rejected = intent.rejected.map((r) => `${r.property} → ${r.reason}`);
    this.entity(intent, {
      status: 'SUCCEEDED', operation, recordId: result.id, fields: record, objectName: object,
      message: [intent.full ? 'full sync of every mapped field' : null, rejected.length ? `not written: ${rejected.join('; ')}` : null].filter(Boolean).join('. ') || null,
    });
  }

  rejectedBySalesforce(intent: Intent, operation: 'CREATE' | 'UPDATE', result: RecordResult, record: WriteRecord): void {
    const [first] = result.errors;
    this.entity(intent, {
      status: 'FAILED', operation, reason: 'SALESFORCE_REJECTED', message: errorsText(result),
      error: first ? { code: first.code, message: first.message, fields: first.fields } : null, recordId: result.id, fields: record,
    });
  }

  /** One event of the entity that the plan skipped (its own reason: out of segment, nothing mapped, …). */
  eventSkipped(intent: Intent, skip: { eventId: string; reason: string; message: string }, entity: ProfileEvent['entity'], recordId: string | null): void {
    this.entity(intent, { status: 'SKIPPED', operation: 'UPDATE', reason: skip.reason, message: skip.message, recordId, eventIds: [skip.eventId], entity });
  }

  /** Every mapped value is what was last written: nothing to send. */
  unchanged(intent: Intent, recordId: string | null): void {
    this.entity(intent, { status: 'SKIPPED', operation: 'UPDATE', reason: 'NO_CHANGE', message: 'every mapped value is what was last written', recordId });
  }

  refused(intent: Intent, status: 'SKIPPED' | 'FAILED', reason: string, message: string): void {
    this.entity(intent, { status, operation: 'UPDATE', reason, message, recordId: null });
  }

  /** Nothing was written, but some of journy's values fit no field: a failure naming them (none: no line). */
  invalidValues(intent: Intent, recordId: string | null): void {
    if (intent.rejected.length === 0) return;
    this.entity(intent, {
      status: 'FAILED', operation: 'UPDATE', reason: 'INVALID_VALUE', recordId,
      message: intent.rejected.map((r) => `${r.property} → ${r.reason}`).join('; '),
      error: { code: 'INVALID_VALUE', message: intent.rejected[0].reason, fields: intent.rejected.map((r) => r.field) },
    });
  }

  attachment(user: ProfileEvent['entity'], attachment: Attachment, result: RecordResult): void {
    this.lines.push(outboundLog({
      ...this.connection, objectType: 'MEMBERSHIP', operation: attachment.accountId ? 'LINK' : 'UNLINK',
      status: result.success ? 'SUCCEEDED' : 'FAILED', message: result.success ? `Contact.AccountId ${attachment.accountSfId ? `= ${attachment.accountSfId}` : 'cleared'}` : errorsText(result),
      error: result.success ? null : (result.errors[0] ?? null), entity: { ...user, accountId: attachment.accountId }, salesforce: { objectType: 'Contact', recordId: result.id }, eventIds: attachment.eventIds,
    }));
  }

  membershipSkipped(change: MembershipChange, contactId: string | null, reason: string, message: string): void {
    this.lines.push(outboundLog({
      ...this.connection, objectType: 'MEMBERSHIP', operation: change.op === 'ADD' ? 'LINK' : 'UNLINK', status: 'SKIPPED', reason, message,
      entity: membershipEntity(change), salesforce: { objectType: 'Contact', recordId: contactId }, eventIds: [change.eventId],
    }));
  }

  /** A secondary relation written (result), already there (null: NO_CHANGE), or refused. */
  relation(change: MembershipChange, result: RecordResult | null, reason: string | null = null): void {
    this.lines.push(outboundLog({
      ...this.connection, objectType: 'MEMBERSHIP', operation: change.op === 'ADD' ? 'LINK' : 'UNLINK',
      status: result === null ? 'SKIPPED' : result.success ? 'SUCCEEDED' : 'FAILED', reason, message: result && !result.success ? errorsText(result, false) : null,
      error: result && !result.success ? result.errors[0] : null, entity: membershipEntity(change),
      salesforce: { objectType: 'AccountContactRelation', recordId: result?.id ?? null }, eventIds: [change.eventId],
    }));
  }

  private entity(intent: Intent, input: { status: SyncLogRecord['status']; operation: 'CREATE' | 'UPDATE'; reason?: string; message?: string | null; error?: SyncLogRecord['error']; recordId: string | null; fields?: WriteRecord; objectName?: string; eventIds?: string[]; entity?: ProfileEvent['entity'] }): void {
    const fields = Object.entries(input.fields ?? {}).filter(([name]) => name !== 'Id').map(([name, value]) => ({ name, source: intent.sources[name] ?? null, value: value === null ? null : String(value) }));
    this.lines.push(outboundLog({
      ...this.connection, objectType: intent.kind, operation: input.operation, status: input.status,
      reason: input.reason ?? null, message: input.message ?? null, error: input.error ?? null, entity: input.entity ?? intent.entity,
      salesforce: { objectType: input.objectName ?? (intent.kind === 'USER' ? 'Contact' : 'Account'), recordId: input.recordId }, fields,
      eventIds: input.eventIds ?? intent.events.map((e) => e.eventId),
    }));
  }
}

function membershipEntity(change: MembershipChange): ProfileEvent['entity'] {
  return { ...change.user, accountId: change.account.accountId, domain: change.account.domain };
}
