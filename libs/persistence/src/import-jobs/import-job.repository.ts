import { randomBytes } from 'node:crypto';
import type { Connection as MongoConnection, Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import { ACTIVE_STATES, ImportJob, ImportState, emptyCounts } from './import-job.entity';
import { importJobSchema } from './import-job.schema';

interface ImportJobDocument extends Omit<ImportJob, 'id'> {
  _id: string;
  activeSlot: string;
}

export class ImportAlreadyRunning extends Error {
  constructor(readonly connectionId: string) {
    super(`an import of connection ${connectionId} is already running`);
  }
}

/** Initial-import jobs of a connection. Every method takes the tenant. */
export class ImportJobsRepository {
  private readonly model: Model<ImportJobDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.ImportJob as Model<ImportJobDocument> | undefined) ?? connection.model<ImportJobDocument>('ImportJob', importJobSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /** A new PENDING job, or ImportAlreadyRunning when the connection has an active one. */
  async start(tenantId: string, connectionId: string, requestedBy: string): Promise<ImportJob> {
    const now = new Date();
    try {
      const created = await this.model.create({
        _id: `imp_${randomBytes(12).toString('hex')}`,
        tenantId, connectionId, state: 'PENDING', phase: null, counts: emptyCounts(), errors: [], checkpoint: null, requestedBy,
        activeSlot: 'ACTIVE', createdAt: now, startedAt: null, finishedAt: null, updatedAt: now,
      });
      return toJob(created.toObject() as ImportJobDocument);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ImportAlreadyRunning(connectionId);
      throw error;
    }
  }

  async get(tenantId: string, connectionId: string, id: string): Promise<ImportJob | null> {
    const found = await this.model.findOne({ _id: id, tenantId, connectionId }).lean<ImportJobDocument>();
    return found ? toJob(found) : null;
  }

  async list(tenantId: string, connectionId: string, limit = 20): Promise<ImportJob[]> {
    const found = await this.model.find({ tenantId, connectionId }).sort({ createdAt: -1 }).limit(limit).lean<ImportJobDocument[]>();
    return found.map(toJob);
  }

  /** A pending job is cancelled at once; a running one is asked to stop (the ingest app finishes the cancel). */
  async requestCancel(tenantId: string, connectionId: string, id: string): Promise<ImportJob | null> {
    const now = new Date();
    const pending = await this.model
      .findOneAndUpdate({ _id: id, tenantId, connectionId, state: 'PENDING' }, { $set: { state: 'CANCELLED', finishedAt: now, updatedAt: now, activeSlot: id } }, { new: true })
      .lean<ImportJobDocument>();
    if (pending) return toJob(pending);
    const running = await this.model
      .findOneAndUpdate({ _id: id, tenantId, connectionId, state: 'RUNNING' }, { $set: { state: 'CANCELLING', updatedAt: now } }, { new: true })
      .lean<ImportJobDocument>();
    if (running) return toJob(running);
    return this.get(tenantId, connectionId, id);
  }

  /**
   * Every tenant's connections with an active job, as `tenantId:connectionId`: one read for all the connections of
   * an ingest instance, which wakes the workers that have a job to run.
   */
  async connectionsWithActiveJobs(): Promise<Set<string>> {
    const found = await this.model.find({ state: { $in: ACTIVE_STATES as ImportState[] } }, { tenantId: 1, connectionId: 1 }).lean<{ tenantId: string; connectionId: string }[]>();
    return new Set(found.map((job) => `${job.tenantId}:${job.connectionId}`));
  }

  /** The connection's active job (pending, running or being cancelled), if any: what the ingest app runs or resumes. */
  async findActive(tenantId: string, connectionId: string): Promise<ImportJob | null> {
    const found = await this.model.findOne({ tenantId, connectionId, state: { $in: ACTIVE_STATES as ImportState[] } }).lean<ImportJobDocument>();
    return found ? toJob(found) : null;
  }

  /** PENDING → RUNNING (a resumed job stays RUNNING); null when the job is no longer active. */
  async markRunning(tenantId: string, connectionId: string, id: string): Promise<ImportJob | null> {
    const now = new Date();
    await this.model.updateOne({ _id: id, tenantId, connectionId, state: 'PENDING' }, { $set: { state: 'RUNNING', startedAt: now, updatedAt: now } });
    const job = await this.get(tenantId, connectionId, id);
    return job && ACTIVE_STATES.includes(job.state) ? job : null;
  }

  /**
   * Saves progress (phase, checkpoint, counts, latest errors) in one write, so a resume never sees counts that
   * don't match its checkpoint. Returns the job's state: CANCELLING tells the runner to stop.
   */
  async saveProgress(
    tenantId: string, connectionId: string, id: string,
    progress: Pick<ImportJob, 'phase' | 'checkpoint' | 'counts' | 'errors'>,
  ): Promise<ImportState | null> {
    const updated = await this.model
      .findOneAndUpdate(
        { _id: id, tenantId, connectionId, state: { $in: ['RUNNING', 'CANCELLING'] } },
        { $set: { phase: progress.phase, checkpoint: progress.checkpoint, counts: progress.counts, errors: progress.errors.slice(-50), updatedAt: new Date() } },
        { new: true },
      )
      .lean<ImportJobDocument>();
    return updated ? updated.state : null;
  }

  /** Ends a job (by the ingest app, or when its connection is deleted); frees the connection's active slot. */
  async finish(tenantId: string, connectionId: string, id: string, state: Extract<ImportState, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>): Promise<void> {
    const now = new Date();
    await this.model.updateOne({ _id: id, tenantId, connectionId, state: { $in: ACTIVE_STATES as ImportState[] } }, { $set: { state, finishedAt: now, updatedAt: now, activeSlot: id } });
  }
}

function toJob(document: ImportJobDocument): ImportJob {
  const { _id, activeSlot: _slot, ...rest } = document;
  return { id: _id, ...rest };
}
