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
