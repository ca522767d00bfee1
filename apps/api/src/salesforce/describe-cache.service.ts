import { Injectable } from '@nestjs/common';
import { SalesforceFieldMeta, fieldMetaFromDescribe } from '@connector/mapping';
import type { Connection } from '@connector/persistence';
import { OrgSessions } from '@connector/org-access';

const TTL_MS = 10 * 60_000;

/** Describe metadata per connection and object, cached for ten minutes; `refresh` reads it again (new fields). */
@Injectable()
export class DescribeCache {
  private readonly entries = new Map<string, { at: number; fields: Map<string, SalesforceFieldMeta> }>();

  constructor(private readonly sessions: OrgSessions) {}

  async fields(connection: Connection, objectName: 'Account' | 'Contact', refresh = false): Promise<Map<string, SalesforceFieldMeta>> {
    const key = `${connection.id}:${objectName}`;
    const cached = this.entries.get(key);
    if (cached && !refresh && Date.now() - cached.at < TTL_MS) return cached.fields;
    const describe = await this.sessions.client(connection).describe(objectName);
    const fields = new Map<string, SalesforceFieldMeta>();
    for (const field of describe.fields as Record<string, unknown>[]) {
      const meta = fieldMetaFromDescribe(field);
      fields.set(meta.name.toLowerCase(), meta);
    }
    this.entries.set(key, { at: Date.now(), fields });
    return fields;
  }

  forget(connectionId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${connectionId}:`)) this.entries.delete(key);
  }
}
