import type { Logger } from '@connector/observability';
import { ConnectionWorker, WorkerDeps, WorkerStatus } from './connection-worker';
import type { OwnedConnection, OwnedConnections } from './ownership';

/** The workers of the connections this instance owns: started, woken on changes, stopped when they move away. */
export class Supervisor implements OwnedConnections {
  private readonly workers = new Map<string, ConnectionWorker>();

  constructor(private readonly deps: Omit<WorkerDeps, 'logger'>, private readonly logger: Logger) {}

  /**
   * Starts and stops workers to run exactly these connections. The workers already running look at their connection
   * again only when its revision moved or it has an import job waiting: one read of all active jobs here instead of
   * two reads per connection (the streaming workers' own look is a rare safety net).
   */
  async own(connections: OwnedConnection[]): Promise<void> {
    const wanted = new Map(connections.map((c) => [c.id, c]));
    const leaving = [...this.workers.values()].filter((w) => !wanted.has(w.connectionId));
    await Promise.all(leaving.map((w) => this.release(w.connectionId)));
    const running = [...wanted.values()].filter((c) => this.workers.has(c.id));
    for (const connection of wanted.values()) this.ensure(connection.id, connection.tenantId);
    if (running.length === 0) return;
    const importing = await this.deps.jobs.connectionsWithActiveJobs();
    for (const connection of running) {
      this.workers.get(connection.id)?.lookAgainIf({ revision: connection.revision, importJob: importing.has(`${connection.tenantId}:${connection.id}`) });
    }
  }

  async changed(change: { connectionId: string; tenantId: string; kind: string }): Promise<void> {
    if (change.kind === 'DELETED') {
      await this.release(change.connectionId);
      return;
    }
    this.ensure(change.connectionId, change.tenantId).wake();
  }

  statuses(): WorkerStatus[] {
    return [...this.workers.values()].map((w) => w.status());
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.workers.keys()].map((id) => this.release(id)));
  }

  private ensure(connectionId: string, tenantId: string): ConnectionWorker {
    let worker = this.workers.get(connectionId);
    if (!worker) {
      worker = new ConnectionWorker(tenantId, connectionId, { ...this.deps, logger: this.logger.child({ tenantId, connectionId }) });
      this.workers.set(connectionId, worker);
      worker.start();
      this.logger.info({ tenantId, connectionId }, 'connection taken: this instance runs it now');
    }
    return worker;
  }

  private async release(connectionId: string): Promise<void> {
    const worker = this.workers.get(connectionId);
    if (!worker) return;
    this.workers.delete(connectionId);
    await worker.stop();
    this.logger.info({ connectionId }, 'connection released');
  }
}
