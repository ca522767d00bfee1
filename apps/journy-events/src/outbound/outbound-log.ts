import { stableId } from '@connector/domain';
import type { Operation, SyncLogRecord } from '@connector/kafka';
import type { ProfileEvent } from '../model/profile-event';

export interface OutboundLogInput {
  tenantId: string;
  connectionId: string;
  objectType: SyncLogRecord['objectType'];
  operation: Operation;
  status: SyncLogRecord['status'];
  reason?: string | null;
  message?: string | null;
  error?: { code: string; message: string; fields: string[] } | null;
  entity: ProfileEvent['entity'];
  salesforce: { objectType: string; recordId: string | null };
  fields?: SyncLogRecord['fields'];
  /** The events this line is about: its id is derived from them, so a replay logs the same line once. */
  eventIds: string[];
  attempt?: number;
  durationMs?: number | null;
}

/** One sync-log line of the journy → Salesforce direction. */
export function outboundLog(input: OutboundLogInput): SyncLogRecord {
  return {
    logId: stableId('log', input.connectionId, input.eventIds.join(','), input.objectType, input.operation, input.status, input.reason ?? null),
    tenantId: input.tenantId,
    connectionId: input.connectionId,
    occurredAt: Date.now(),
    direction: 'JOURNY_TO_SALESFORCE',
    mode: 'LIVE',
    objectType: input.objectType,
    operation: input.operation,
    status: input.status,
    reason: input.reason ?? null,
    message: input.message ?? null,
    error: input.error ?? null,
    journy: { userId: input.entity.userId, email: input.entity.email, accountId: input.entity.accountId, domain: input.entity.domain },
    salesforce: { objectType: input.salesforce.objectType, recordId: input.salesforce.recordId },
    fields: input.fields ?? [],
    correlationId: input.eventIds[input.eventIds.length - 1] ?? null,
    attempt: input.attempt ?? 1,
    durationMs: input.durationMs ?? null,
  };
}
