/** A connection as the stores key it: its tenant and its id. */
export interface ConnectionRef {
  tenantId: string;
  connectionId: string;
}

/**
 * The filter for the documents of several connections in one read: both fields lead the connection indexes, so
 * MongoDB answers it from one index walk; a document matches only with its own tenant (checked in `byConnection`).
 */
export function ofConnections(connections: ConnectionRef[]): Record<string, unknown> {
  return {
    tenantId: { $in: [...new Set(connections.map((c) => c.tenantId))] },
    connectionId: { $in: [...new Set(connections.map((c) => c.connectionId))] },
  };
}

/** Documents grouped by connection: every connection asked for has a list (maybe empty); others are dropped. */
export function byConnection<D extends ConnectionRef, T>(connections: ConnectionRef[], docs: D[], map: (doc: D) => T): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  const tenantOf = new Map<string, string>();
  for (const c of connections) {
    grouped.set(c.connectionId, []);
    tenantOf.set(c.connectionId, c.tenantId);
  }
  for (const doc of docs) {
    if (tenantOf.get(doc.connectionId) === doc.tenantId) grouped.get(doc.connectionId)!.push(map(doc));
  }
  return grouped;
}
