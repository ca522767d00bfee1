/**
 * The error taxonomy every consumer and client decides on, instead of on message text:
 * - retryable: transient (network, 5xx, lock contention); try again later, don't commit past it.
 * - auth: credentials are missing, expired or revoked; refresh once, else the connection needs reconnecting.
 * - validation: the input can never be processed as it is (bad payload, invalid value); log it, DLQ it, move on.
 * - integration: the other side refused for a reason of its own (a Salesforce record error); log it, move on.
 */
export type ErrorCategory = 'retryable' | 'auth' | 'validation' | 'integration';

export abstract class ConnectorError extends Error {
  abstract readonly category: ErrorCategory;
  /** A stable, machine-readable code (e.g. a Salesforce errorCode, or one of ours). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class RetryableError extends ConnectorError {
  readonly category = 'retryable' as const;
  /** A hint from the other side (Retry-After), when it gave one. */
  readonly retryAfterMs?: number;

  constructor(code: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export class AuthError extends ConnectorError {
  readonly category = 'auth' as const;
}

export class ValidationError extends ConnectorError {
  readonly category = 'validation' as const;
  /** Where the input was wrong: a field, a property, a path in a message. */
  readonly field?: string;

  constructor(code: string, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, message, options);
    this.field = options?.field;
  }
}

export class IntegrationError extends ConnectorError {
  readonly category = 'integration' as const;
}

/** Unknown errors are treated as retryable: losing a message is worse than trying it again. */
export function categorize(error: unknown): ErrorCategory {
  return error instanceof ConnectorError ? error.category : 'retryable';
}

export function isRetryable(error: unknown): boolean {
  const category = categorize(error);
  return category === 'retryable' || category === 'auth';
}

export function describeError(error: unknown): { name: string; code: string; message: string; category: ErrorCategory } {
  if (error instanceof ConnectorError) {
    return { name: error.name, code: error.code, message: error.message, category: error.category };
  }
  if (error instanceof Error) {
    return { name: error.name, code: 'UNEXPECTED', message: error.message, category: 'retryable' };
  }
  return { name: 'Unknown', code: 'UNEXPECTED', message: String(error), category: 'retryable' };
}
