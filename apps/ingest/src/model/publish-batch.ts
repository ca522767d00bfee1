import type { Command, FieldChange, ObjectType, Operation, SyncLogRecord, SyncMode } from '@connector/kafka';
import type { JournyValue } from '@connector/mapping';
import { stableId } from '@connector/domain';

export interface BatchContext {
  tenantId: string;
  connectionId: string;
  orgId: string;
  mode: SyncMode;
}

export interface SourceRecord {
  objectType: string;
  recordId: string;
  modifiedAt: number | null;
  replayId?: string | null;
}

export interface LogInput {
  objectType: ObjectType;
  operation: Operation;
  status: SyncLogRecord['status'];
  reason?: string | null;
  message?: string | null;
  journy?: Partial<SyncLogRecord['journy']>;
  source: SourceRecord;
  fields?: FieldChange[];
  correlationId?: string | null;
}

export { stableId } from '@connector/domain';

export const MAX_MEMBERS_PER_COMMAND = 100;

/**
 * The commands and the record-level log entries of one unit of work (an import page, a change event), built
 * together so that every command has its log line and every skipped record its reason; published as a whole.
 */
export class PublishBatch {
  readonly commands: { key: string; value: Command }[] = [];
  readonly logs: SyncLogRecord[] = [];

  /** `scope` makes ids unique per unit of work (the import job, the change event): a replay gives the same ids. */
  constructor(private readonly context: BatchContext, private readonly scope: string, private readonly now = Date.now()) {}

  upsertUser(input: { email: string; userId?: string | null; properties: Record<string, JournyValue>; source: SourceRecord; operation: Operation; message?: string | null }): string {
    const commandId = stableId('cmd', this.scope, input.source.recordId, 'user');
    this.commands.push({
      key: `${this.context.tenantId}:USER:${input.email}`,
      value: this.command(commandId, input.source, { 'journy.UpsertUser': { userId: input.userId ?? null, email: input.email, properties: input.properties } }),
    });
    this.log({ objectType: 'USER', operation: input.operation, status: 'SUCCEEDED', message: input.message ?? null, journy: { email: input.email, userId: input.userId ?? null }, source: input.source, fields: fieldsOf(input.properties), correlationId: commandId });
    return commandId;
  }

  upsertAccount(input: { accountId: string; domain: string | null; properties: Record<string, JournyValue>; source: SourceRecord; operation: Operation; message?: string | null }): string {
    const commandId = stableId('cmd', this.scope, input.source.recordId, 'account');
    this.commands.push({
      key: `${this.context.tenantId}:ACCOUNT:${input.accountId}`,
      value: this.command(commandId, input.source, { 'journy.UpsertAccount': { accountId: input.accountId, domain: input.domain, properties: input.properties } }),
    });
    const fields = fieldsOf(input.properties);
    if (input.domain !== null) fields.unshift({ name: 'domain', source: 'Website', value: input.domain });
    this.log({ objectType: 'ACCOUNT', operation: input.operation, status: 'SUCCEEDED', message: input.message ?? null, journy: { accountId: input.accountId, domain: input.domain }, source: input.source, fields, correlationId: commandId });
    return commandId;
  }

  /**
   * Membership changes of one account, at most 100 users a command; one log line per relationship record.
   * `members` carry the record each one comes from (an AccountContactRelation, or the Contact's AccountId).
   */
  members(kind: 'ADD' | 'REMOVE', accountId: string, accountSource: SourceRecord, members: { email: string; source: SourceRecord }[]): void {
    for (let start = 0; start < members.length; start += MAX_MEMBERS_PER_COMMAND) {
      const chunk = members.slice(start, start + MAX_MEMBERS_PER_COMMAND);
      const commandId = stableId('cmd', this.scope, accountSource.recordId, kind, chunk[0].source.recordId, chunk.length);
      const users = chunk.map((m) => ({ userId: null, email: m.email }));
      const payload: Command['payload'] = kind === 'ADD' ? { 'journy.AddAccountMembers': { accountId, users } } : { 'journy.RemoveAccountMembers': { accountId, users } };
      this.commands.push({ key: `${this.context.tenantId}:ACCOUNT:${accountId}`, value: this.command(commandId, accountSource, payload) });
      for (const member of chunk) {
        this.log({ objectType: 'MEMBERSHIP', operation: kind === 'ADD' ? 'LINK' : 'UNLINK', status: 'SUCCEEDED', journy: { accountId, email: member.email }, source: member.source, correlationId: commandId });
      }
    }
  }

  log(input: LogInput): void {
    this.logs.push({
      logId: stableId('log', this.scope, input.source.recordId, input.objectType, input.operation, input.status, input.reason ?? null, input.correlationId ?? null),
      tenantId: this.context.tenantId,
      connectionId: this.context.connectionId,
      occurredAt: this.now,
      direction: 'SALESFORCE_TO_JOURNY',
      mode: this.context.mode,
      objectType: input.objectType,
      operation: input.operation,
      status: input.status,
      reason: input.reason ?? null,
      message: input.message ?? null,
      error: null,
      journy: { userId: null, email: null, accountId: null, domain: null, ...input.journy },
      salesforce: { objectType: input.source.objectType, recordId: input.source.recordId || null },
      fields: input.fields ?? [],
      correlationId: input.correlationId ?? null,
      attempt: 1,
      durationMs: null,
    });
  }

  skip(objectType: ObjectType, operation: Operation, source: SourceRecord, reason: string, message: string, journy?: Partial<SyncLogRecord['journy']>): void {
    this.log({ objectType, operation, status: 'SKIPPED', reason, message, source, journy });
  }

  isEmpty(): boolean {
    return this.commands.length === 0 && this.logs.length === 0;
  }

  private command(commandId: string, source: SourceRecord, payload: Command['payload']): Command {
    return {
      commandId,
      tenantId: this.context.tenantId,
      connectionId: this.context.connectionId,
      issuedAt: this.now,
      mode: this.context.mode,
      source: { orgId: this.context.orgId, objectType: source.objectType, recordId: source.recordId, modifiedAt: source.modifiedAt, replayId: source.replayId ?? null },
      payload,
    };
  }
}

export function fieldsOf(properties: Record<string, JournyValue>): FieldChange[] {
  return Object.entries(properties).map(([name, value]) => ({ name, source: null, value: valueText(value) }));
}

function valueText(value: JournyValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(';');
  if (typeof value === 'object') return value.iso;
  return String(value);
}
