import { ValidationError } from '@connector/domain';

/** A unique index refused the write (e.g. the same Salesforce org connected twice by one tenant). */
export class DuplicateError extends ValidationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUPLICATE', message, options);
  }
}

/** The document changed since it was read (optimistic concurrency on `revision`). */
export class RevisionConflictError extends ValidationError {
  constructor(message: string) {
    super('REVISION_CONFLICT', message);
  }
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}
