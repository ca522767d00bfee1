import type { EntityKind } from '../model/profile-event';

/** The process-wide entity cache's key of one connection's entity: `<connection>:<kind>:<entity key>`. */
export function entityCacheKey(connectionId: string, kind: EntityKind, key: string): string {
  return `${connectionId}:${kind}:${key}`;
}

/** The connection an entity cache key belongs to. */
export function connectionOfCacheKey(cacheKey: string): string {
  return cacheKey.slice(0, cacheKey.indexOf(':'));
}
