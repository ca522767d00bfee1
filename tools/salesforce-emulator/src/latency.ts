/**
 * How long an org takes to answer, by kind of call (figures: shared/brief realistic-org.md; the emulator README
 * lists them). `fast` answers at once (unit of the tests that are about logic, not time); `realistic` is an org
 * with ordinary automation; `slow-automation` one whose triggers and flows make every write heavy.
 */
export type LatencyProfileName = 'fast' | 'realistic' | 'slow-automation';

export interface LatencyProfile {
  name: LatencyProfileName;
  /** Single-record REST calls, describe, limits: uniform between the two, ms. */
  rest: [number, number];
  /** A query page (and the first page of a query), ms. */
  query: [number, number];
  /** sObject Collections: a base per call plus per record, times the org's automation weight, ms. */
  collections: { baseMs: number; perRecordMs: number };
  /** Composite: per subrequest, ms. */
  compositePerRequestMs: number;
  /** Bulk API 2.0 job calls (create, upload, poll, results), ms. */
  bulkCall: [number, number];
  /** Bulk ingest processing: a job's fixed start, and each internal batch of 10,000 records, ms. */
  bulkJob: { startMs: number; perBatchMs: number; automationWeighted: boolean };
  /** Multiplies write costs (Collections, Bulk batches): 1 = light automation. */
  automationWeight: number;
  /** From commit to a change event being deliverable, ms. */
  changeEventDelay: [number, number];
}

export const LATENCY_PROFILES: Record<LatencyProfileName, LatencyProfile> = {
  fast: {
    name: 'fast', rest: [0, 0], query: [0, 0], collections: { baseMs: 0, perRecordMs: 0 }, compositePerRequestMs: 0, bulkCall: [0, 0],
    bulkJob: { startMs: 0, perBatchMs: 0, automationWeighted: false }, automationWeight: 1, changeEventDelay: [0, 0],
  },
  // ~275 ms server time for a plain call; a 200-record Collections call of an ordinary org ~1.2 s; Bulk jobs start
  // in seconds and take seconds per 10,000-record batch; change events arrive within about a second.
  realistic: {
    name: 'realistic', rest: [120, 320], query: [150, 450], collections: { baseMs: 200, perRecordMs: 5 }, compositePerRequestMs: 60, bulkCall: [100, 300],
    bulkJob: { startMs: 2000, perBatchMs: 4000, automationWeighted: true }, automationWeight: 1, changeEventDelay: [200, 1200],
  },
  // Heavy triggers and flows: ~5.7 s for 200 records in one Collections call (Redpanda's benchmark, DERIVED).
  'slow-automation': {
    name: 'slow-automation', rest: [200, 600], query: [200, 600], collections: { baseMs: 300, perRecordMs: 5 }, compositePerRequestMs: 150, bulkCall: [150, 400],
    bulkJob: { startMs: 3000, perBatchMs: 8000, automationWeighted: true }, automationWeight: 4.3, changeEventDelay: [500, 3000],
  },
};

export type CallKind = 'rest' | 'query' | 'collections' | 'composite' | 'bulk';

const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

/** The time one call takes on this profile; `records` is the size of a write. */
export function callDelayMs(profile: LatencyProfile, kind: CallKind, records = 1): number {
  switch (kind) {
    case 'rest':
      return between(profile.rest);
    case 'query':
      return between(profile.query);
    case 'collections':
      return (profile.collections.baseMs + profile.collections.perRecordMs * records) * profile.automationWeight;
    case 'composite':
      return profile.compositePerRequestMs * Math.max(1, records) * profile.automationWeight;
    case 'bulk':
      return between(profile.bulkCall);
  }
}

/** How long a Bulk ingest job of `records` records processes once closed. */
export function bulkProcessingMs(profile: LatencyProfile, records: number): number {
  const batches = Math.max(1, Math.ceil(records / 10_000));
  return profile.bulkJob.startMs + batches * profile.bulkJob.perBatchMs * (profile.bulkJob.automationWeighted ? profile.automationWeight : 1);
}

export function changeEventDelayMs(profile: LatencyProfile): number {
  return between(profile.changeEventDelay);
}

export function latencyProfile(name: string | undefined): LatencyProfile {
  if (name === undefined) return LATENCY_PROFILES.fast;
  const profile = LATENCY_PROFILES[name as LatencyProfileName];
  if (!profile) throw new Error(`unknown latency profile ${name}: one of ${Object.keys(LATENCY_PROFILES).join(', ')}`);
  return profile;
}
