import { fieldMetaFromDescribe, type SalesforceFieldMeta } from '@connector/mapping';
import type { Connection } from '@connector/persistence';
import type { OrgSessions } from './org-sessions';

/** An object's fields by lower-cased name, as describe metadata gives them. */
export type ObjectFields = ReadonlyMap<string, SalesforceFieldMeta>;

const TTL_MS = 10 * 60_000;

/**
 * Describe metadata of each connection's objects, shared by everything in the app that needs it (settings
 * validation, field discovery, the outbound mappings, the inbound model): read once per ten minutes, again on
 * `refresh` (a field was just added), forgotten when the org refuses a field it listed.
 */
export class DescribeCache {
  private readonly entries = new Map<string, { at: number; fields: Promise<ObjectFields> }>();

  constructor(private readonly sessions: Pick<OrgSessions, 'client'>, private readonly ttlMs = TTL_MS) {}

  fields(connection: Connection, object: string, options: { refresh?: boolean; onCall?: () => void } = {}): Promise<ObjectFields> {
    const key = `${connection.id}:${object}`;
    const cached = this.entries.get(key);
    if (cached && !options.refresh && Date.now() - cached.at < this.ttlMs) return cached.fields;
    options.onCall?.();
    const fields = this.sessions
      .client(connection)
      .describe(object)
      .then((body) => new Map(((body.fields as Record<string, unknown>[] | undefined) ?? []).map((f) => fieldMetaFromDescribe(f)).map((f) => [f.name.toLowerCase(), f] as const)) as ObjectFields);
    this.entries.set(key, { at: Date.now(), fields });
    fields.catch(() => this.entries.get(key)?.fields === fields && this.entries.delete(key)); // a failed read is not kept
    return fields;
  }

  forget(connectionId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${connectionId}:`)) this.entries.delete(key);
  }
}
