import type { ImportJob } from './api-types';
import { isActive, latestErrors, progressRows } from './import-progress';

const counts = (read: number) => ({ read, published: read, skipped: 0, failed: 0 });
const job = (over: Partial<ImportJob>): ImportJob => ({
  id: 'imp', connectionId: 'con', state: 'RUNNING', phase: 'CONTACTS', counts: { Account: counts(20), Contact: counts(7), AccountContactRelation: counts(0) },
  errors: [], requestedBy: 'me', createdAt: '', startedAt: null, finishedAt: null, ...over,
});

describe('import progress', () => {
  it('marks the object being read while the import runs, none once it is done', () => {
    expect(progressRows(job({})).map((r) => [r.object, r.read, r.current])).toEqual([['Account', 20, false], ['Contact', 7, true], ['AccountContactRelation', 0, false]]);
    expect(progressRows(job({ state: 'SUCCEEDED', phase: 'DONE' })).some((r) => r.current)).toBe(false);
    expect(isActive(job({ state: 'CANCELLING' }))).toBe(true);
    expect(isActive(job({ state: 'CANCELLED' }))).toBe(false);
  });

  it('shows the newest errors first', () => {
    const errors = [{ at: '2026-12-01T10:00:00Z', code: 'A', message: '' }, { at: '2026-12-01T11:00:00Z', code: 'B', message: '' }];
    expect(latestErrors(job({ errors }), 1).map((e) => e.code)).toEqual(['B']);
  });
});
