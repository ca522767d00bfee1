import { describeError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import type { ConnectionRef, ReplayLeasesRepository } from '@connector/persistence';

/** How long a replay lease lasts unrenewed, ms: the connections of a member that died wait at most this long. */
export const REPLAY_LEASE_MS = 30_000;

export interface HeldLease {
  release(): Promise<void>;
}

/**
 * The right to apply a connection's parked events, across members: after a rebalance the old holder of a
 * partition may still be replaying (or finishing a detached run) while the new one reads the same events; only
 * the lease's holder applies them, so an older value never lands after a newer one. Leases are taken many at a
 * time (a rebalance detaches a flush's runs together) and all renewed together, every third of their time,
 * while held; each is released when done. Within a member, holds of one connection (two detached runs, a run
 * and a replay) share the lease: it is released when the last of them is.
 */
export class ReplayLeases {
  private readonly held = new Map<string, { ref: ConnectionRef; holds: number }>();
  private renew: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Pick<ReplayLeasesRepository, 'leaseAll' | 'renewAll' | 'releaseLease'>,
    private readonly holder: string,
    private readonly logger: Logger,
    private readonly ttlMs = REPLAY_LEASE_MS,
  ) {}

  /** The lease of the connection, or null while another member holds it. */
  async hold(tenantId: string, connectionId: string): Promise<HeldLease | null> {
    return (await this.holdAll([{ tenantId, connectionId }]))[0];
  }

  /** The leases of these connections (one store write for those this member does not hold yet); null where another member holds one. */
  async holdAll(connections: ConnectionRef[]): Promise<(HeldLease | null)[]> {
    // Holds of leases already held count at once, so that a release meanwhile does not give them back.
    const shared = connections.map((ref) => {
      const entry = this.held.get(keyOf(ref));
      if (entry) entry.holds += 1;
      return entry !== undefined;
    });
    const wanted = [...new Map(connections.filter((_, i) => !shared[i]).map((c) => [keyOf(c), c])).values()];
    const answers = wanted.length > 0 ? await this.store.leaseAll(wanted, this.holder, this.ttlMs) : [];
    const granted = new Set(wanted.filter((_, i) => answers[i]).map(keyOf));
    return connections.map((ref, i) => {
      const key = keyOf(ref);
      if (!shared[i]) {
        const entry = this.held.get(key); // taken by another hold of this member meanwhile
        if (entry) entry.holds += 1;
        else if (granted.has(key)) this.held.set(key, { ref, holds: 1 });
        else return null;
      }
      this.renewing();
      return this.releaser(key);
    });
  }

  private releaser(key: string): HeldLease {
    let released = false;
    return {
      release: async () => {
        const entry = this.held.get(key);
        if (released || !entry) return;
        released = true;
        if (--entry.holds > 0) return;
        this.held.delete(key);
        if (this.held.size === 0 && this.renew) {
          clearInterval(this.renew);
          this.renew = null;
        }
        const { tenantId, connectionId } = entry.ref;
        await this.store.releaseLease(tenantId, connectionId, this.holder).catch((error) => this.logger.warn({ tenantId, connectionId, error: describeError(error) }, 'replay lease not released; it runs out'));
      },
    };
  }

  /** Renews every lease held, in one store call, every third of their time, while any is held. */
  private renewing(): void {
    if (this.renew) return;
    this.renew = setInterval(() => {
      const refs = [...this.held.values()].map((h) => h.ref);
      this.store.renewAll(refs, this.holder, this.ttlMs)
        .then((kept) => {
          const lost = refs.filter((ref, i) => !kept[i] && this.held.has(keyOf(ref))); // not those released meanwhile
          if (lost.length > 0) this.logger.warn({ connections: lost.slice(0, 20), lost: lost.length }, 'replay leases lost to another member');
        })
        .catch((error) => this.logger.warn({ leases: refs.length, error: describeError(error) }, 'replay leases not renewed'));
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    this.renew.unref();
  }
}

function keyOf(ref: ConnectionRef): string {
  return `${ref.tenantId}:${ref.connectionId}`;
}
