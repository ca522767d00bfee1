import { restError } from './http';
import type { ObjectDef } from './metadata';
import type { Org } from './org';
import { formatRestDateTime } from './values';

/** `GET sobjects/{Object}/updated/?start=&end=` and `…/deleted/?start=&end=` (the replication API over REST). */

const MINUTE = 60_000;
const MAX_DAYS_BACK = 30;
const MAX_IDS = 600_000;

interface Window {
  start: number;
  end: number;
}

/** Both bounds are required ISO datetimes, rounded down to the minute; start no more than 30 days back. */
function window(query: URLSearchParams): Window {
  const read = (name: string) => {
    const text = query.get(name);
    if (!text) throw restError(400, 'MISSING_ARGUMENT', `${name}: parameter required`);
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw restError(400, 'INVALID_REPLICATION_DATE', `${name}: invalid date ${text}`);
    return Math.floor(ms / MINUTE) * MINUTE;
  };
  const start = read('start');
  // Never past now; the minute in progress is reported again by the next window that starts at latestDateCovered.
  const end = Math.min(read('end'), Date.now());
  if (end < start) throw restError(400, 'INVALID_REPLICATION_DATE', 'start date must be before end date');
  if (start < Date.now() - MAX_DAYS_BACK * 86_400_000) throw restError(400, 'INVALID_REPLICATION_DATE', `startDate cannot be more than ${MAX_DAYS_BACK} days ago`);
  return { start, end };
}

function stamp(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function updatedRecords(org: Org, object: ObjectDef, query: URLSearchParams): Record<string, unknown> {
  const { start, end } = window(query);
  const ids: string[] = [];
  for (const rec of org.all(object.name)) {
    const at = stamp(rec.SystemModstamp);
    if (!rec.IsDeleted && at >= start && at <= end) ids.push(rec.Id as string);
  }
  if (ids.length > MAX_IDS) throw restError(400, 'EXCEEDED_ID_LIMIT', `more than ${MAX_IDS} ids; narrow the window`);
  return { ids, latestDateCovered: formatRestDateTime(Math.floor(end / MINUTE) * MINUTE) };
}

export function deletedRecords(org: Org, object: ObjectDef, query: URLSearchParams): Record<string, unknown> {
  const { start, end } = window(query);
  const deletedRecords: { id: string; deletedDate: string }[] = [];
  let earliest = end;
  for (const rec of org.all(object.name)) {
    if (!rec.IsDeleted) continue;
    const at = stamp(rec.SystemModstamp);
    earliest = Math.min(earliest, at);
    if (at >= start && at <= end) deletedRecords.push({ id: rec.Id as string, deletedDate: formatRestDateTime(at) });
  }
  return { deletedRecords, earliestDateAvailable: formatRestDateTime(Math.floor(earliest / MINUTE) * MINUTE), latestDateCovered: formatRestDateTime(Math.floor(end / MINUTE) * MINUTE) };
}
