import { isSalesforceId, toSalesforceId18 } from '@connector/domain';
import { changeKindOf, type ChangeEvent } from '@connector/salesforce';
import { CAPTURED_OBJECTS, type ObjectName } from '../model/inbound-model';

/** What a change event asks of the connector, decided from its header alone (by object and change type). */
export type ChangeRoute =
  | { kind: 'skip'; reason: 'MALFORMED_EVENT' | 'OBJECT_NOT_SYNCED' | 'NO_RECORD_IDS'; message: string; outcome: 'malformed' | 'unknown-object' }
  | { kind: 'reread-gap'; entity: ObjectName; changeType: string; ids: string[] }
  | { kind: 'echo'; entity: ObjectName; ids: string[]; changeOrigin: string }
  | { kind: 'create' | 'update'; entity: ObjectName; ids: string[] }
  | { kind: 'delete-or-undelete'; entity: ObjectName; changeType: 'DELETE' | 'UNDELETE'; ids: string[] }
  | { kind: 'unknown-change-type'; entity: ObjectName; changeType: string; ids: string[] };

/**
 * Routes a change event: a header that cannot be read, an object the connector does not sync, or no readable
 * record id is skipped with its reason; a gap is re-read; the connector's own write is an echo; the rest go to
 * the handler of their change type. Record ids are taken to their 18-character form.
 */
export function routeChange(event: ChangeEvent, isOwnWrite: (changeOrigin: string | undefined) => boolean): ChangeRoute {
  const header = event.header as Partial<ChangeEvent['header']> | undefined;
  if (!header || typeof header.changeType !== 'string' || !Array.isArray(header.recordIds)) {
    return { kind: 'skip', reason: 'MALFORMED_EVENT', message: 'the change event has no readable header (change type and record ids)', outcome: 'malformed' };
  }
  const entity = header.entityName as ObjectName;
  if (!CAPTURED_OBJECTS.includes(entity)) {
    return { kind: 'skip', reason: 'OBJECT_NOT_SYNCED', message: `${String(header.entityName)} is not an object the connector syncs`, outcome: 'unknown-object' };
  }
  const kind = changeKindOf(header.changeType);
  const ids = header.recordIds.filter((id) => isSalesforceId(id)).map(toSalesforceId18);
  if (kind === 'GAP') return { kind: 'reread-gap', entity, changeType: header.changeType, ids };
  if (ids.length === 0) {
    return { kind: 'skip', reason: 'NO_RECORD_IDS', message: `the change event names no record id the connector can read (${JSON.stringify(header.recordIds).slice(0, 200)})`, outcome: 'malformed' };
  }
  if (isOwnWrite(header.changeOrigin)) return { kind: 'echo', entity, ids, changeOrigin: header.changeOrigin ?? '' };
  switch (kind) {
    case 'CREATE': return { kind: 'create', entity, ids };
    case 'UPDATE': return { kind: 'update', entity, ids };
    case 'DELETE':
    case 'UNDELETE': return { kind: 'delete-or-undelete', entity, changeType: kind, ids };
    default: return { kind: 'unknown-change-type', entity, changeType: header.changeType, ids };
  }
}
