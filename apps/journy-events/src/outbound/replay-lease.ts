import { describeError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import type { ParkedEventsRepository } from '@connector/persistence';

/** How long a replay lease lasts unrenewed, ms: the connections of a member that died wait at most this long. */
export const REPLAY_LEASE_MS = 30_000;

export interface HeldLease {
  release(): Promise<void>;
}

/**
 * The right to apply a connection's parked events, across members: after a rebalance the old holder of a
 * partition may still be replaying (or finishing a detached run) while the new one reads the same events; only
 * the lease's holder applies them, so an older value never lands after a newer one. Renewed every third of its
 * time while held; released when done. Within a member, holds of one connection (two detached runs, a run and a
 * replay) share the lease: it is released when the last of them is.
 */
export class ReplayLeases {
  private readonly held = new Map<string, { holds: number; renew: NodeJS.Timeout }>();

  constructor(
    private readonly store: Pick<ParkedEventsRepository, 'lease' | 'releaseLease'>,
    private readonly holder: string,
    private readonly logger: Logger,
    private readonly ttlMs = REPLAY_LEASE_MS,
  ) {}

  /** The lease of the connection, or null while another member holds it. */
  async hold(tenantId: string, connectionId: string): Promise<HeldLease | null> {
    const key = `${tenantId}:${connectionId}`;
    const shared = this.held.get(key);
    if (shared) shared.holds += 1;
    else {
      if (!(await this.store.lease(tenantId, connectionId, this.holder, this.ttlMs))) return null;
      const again = this.held.get(key); // another hold of this member took it meanwhile
      if (again) again.holds += 1;
      else this.held.set(key, { holds: 1, renew: this.renewing(tenantId, connectionId) });
    }
    let released = false;
    return {
      release: async () => {
        const entry = this.held.get(key);
        if (released || !entry) return;
        released = true;
        if (--entry.holds > 0) return;
        clearInterval(entry.renew);
        this.held.delete(key);
        await this.store.releaseLease(tenantId, connectionId, this.holder).catch((error) => this.logger.warn({ tenantId, connectionId, error: describeError(error) }, 'replay lease not released; it runs out'));
      },
    };
  }

  private renewing(tenantId: string, connectionId: string): NodeJS.Timeout {
    const renew = setInterval(() => {
      this.store.lease(tenantId, connectionId, this.holder, this.ttlMs)
        .then((kept) => { if (!kept) this.logger.warn({ tenantId, connectionId }, 'replay lease lost to another member'); })
        .catch((error) => this.logger.warn({ tenantId, connectionId, error: describeError(error) }, 'replay lease not renewed'));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    renew.unref();
    return renew;
  }
}
