import { IMPORT_OBJECTS, type ImportJob, type ImportObject } from './api-types';

const ACTIVE: ImportJob['state'][] = ['PENDING', 'RUNNING', 'CANCELLING'];

/** Whether the import is still going (and worth watching). */
export function isActive(job: ImportJob | null | undefined): boolean {
  return Boolean(job && ACTIVE.includes(job.state));
}

/** One row per object: its counts and whether it is the one being read now. */
export function progressRows(job: ImportJob): { object: ImportObject; read: number; published: number; skipped: number; failed: number; current: boolean }[] {
  const current: Record<string, ImportObject> = { ACCOUNTS: 'Account', CONTACTS: 'Contact', RELATIONSHIPS: 'AccountContactRelation' };
  return IMPORT_OBJECTS.map((object) => ({ object, ...job.counts[object], current: isActive(job) && job.phase !== null && current[job.phase] === object }));
}

/** The newest errors first, at most `n`. */
export function latestErrors(job: ImportJob, n = 5): ImportJob['errors'] {
  return [...job.errors].sort((a, b) => b.at.localeCompare(a.at)).slice(0, n);
}
