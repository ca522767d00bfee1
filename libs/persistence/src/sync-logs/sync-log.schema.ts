import { Schema } from 'mongoose';

export const SYNC_LOGS_COLLECTION = 'sync_logs';

export const syncLogSchema = new Schema(
  {
    _id: { type: String, required: true }, // the logId: a re-delivered record is stored once
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    occurredAt: { type: Date, required: true },
    direction: String,
    mode: String,
    objectType: String,
    operation: String,
    status: String,
    reason: String,
    message: String,
    error: Schema.Types.Mixed,
    journy: Schema.Types.Mixed,
    salesforce: Schema.Types.Mixed,
    fields: [Schema.Types.Mixed],
    correlationId: String,
    attempt: Number,
    durationMs: Number,
    /** user:<id>, email:<address>, account:<id>, domain:<domain>, sf:<record id>: the record, whatever side names it. */
    keys: [String],
  },
  { collection: SYNC_LOGS_COLLECTION, versionKey: false, minimize: false },
);

// A connection's log, newest first, with its cursor (occurredAt, _id).
syncLogSchema.index({ tenantId: 1, connectionId: 1, occurredAt: -1, _id: -1 }, { name: 'connection_time' });
// The log filtered by status (failures first thing a user looks for), newest first.
syncLogSchema.index({ tenantId: 1, connectionId: 1, status: 1, occurredAt: -1 }, { name: 'connection_status_time' });
// The log filtered by direction, newest first.
syncLogSchema.index({ tenantId: 1, connectionId: 1, direction: 1, occurredAt: -1 }, { name: 'connection_direction_time' });
// The console's reason filter (why lines were skipped or failed).
syncLogSchema.index({ tenantId: 1, connectionId: 1, reason: 1, occurredAt: -1 }, { name: 'connection_reason_time' });
// One record's timeline across both directions (and the log filtered by a record).
syncLogSchema.index({ tenantId: 1, connectionId: 1, keys: 1, occurredAt: -1 }, { name: 'connection_record_time' });
// Retention: deleting everything older than the window (no TTL index: the test store lacks them).
syncLogSchema.index({ occurredAt: 1 }, { name: 'occurred_at' });
