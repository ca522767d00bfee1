export type ImportState = 'PENDING' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type ImportPhase = 'ACCOUNTS' | 'CONTACTS' | 'RELATIONSHIPS' | 'DONE';

export interface ImportCounts {
  read: number;
  published: number;
  skipped: number;
  failed: number;
}

export interface ImportJob {
  id: string;
  tenantId: string;
  connectionId: string;
  state: ImportState;
  phase: ImportPhase | null;
  counts: Record<'Account' | 'Contact' | 'AccountContactRelation', ImportCounts>;
  /** The latest errors (at most 50), newest last. */
  errors: { at: Date; code: string; message: string }[];
  /** Where a resumed import continues (owned by the ingest app). */
  checkpoint: Record<string, unknown> | null;
  requestedBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export const ACTIVE_STATES: readonly ImportState[] = ['PENDING', 'RUNNING', 'CANCELLING'];

export function emptyCounts(): ImportJob['counts'] {
  const zero = () => ({ read: 0, published: 0, skipped: 0, failed: 0 });
  return { Account: zero(), Contact: zero(), AccountContactRelation: zero() };
}
