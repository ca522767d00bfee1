import { Schema } from 'mongoose';

export const IMPORT_JOBS_COLLECTION = 'import_jobs';

export const importJobSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    state: { type: String, required: true },
    phase: { type: String, default: null },
    counts: { type: Schema.Types.Mixed, required: true },
    errors: { type: [Schema.Types.Mixed], default: [] },
    checkpoint: { type: Schema.Types.Mixed, default: null },
    requestedBy: { type: String, required: true },
    /** 'ACTIVE' while the job is pending or running, the job's own id once it ended: one active job per connection. */
    activeSlot: { type: String, required: true },
    createdAt: { type: Date, required: true },
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: IMPORT_JOBS_COLLECTION, versionKey: false, minimize: false, suppressReservedKeysWarning: true },
);

// One active import per connection: a second start while one runs hits this index (409).
importJobSchema.index({ connectionId: 1, activeSlot: 1 }, { unique: true, name: 'one_active_per_connection' });
// A connection's imports, newest first (the import list of the settings API).
importJobSchema.index({ tenantId: 1, connectionId: 1, createdAt: -1 }, { name: 'tenant_connection_created' });
// The ingest app picking up pending and running jobs.
importJobSchema.index({ state: 1, createdAt: 1 }, { name: 'state_created' });
