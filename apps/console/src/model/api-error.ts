/** A refusal in the API's error shape: `{ error: { code, message, errorId, field? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errorId: string | null,
    readonly field: string | null,
  ) {
    super(message);
  }

  /** Reads an answer's body; a body not in the error shape (a proxy's page) still gives a readable error. */
  static from(status: number, body: unknown): ApiError {
    const error = (body as { error?: { code?: unknown; message?: unknown; errorId?: unknown; field?: unknown } } | null)?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new ApiError(status, error.code, error.message, typeof error.errorId === 'string' ? error.errorId : null, typeof error.field === 'string' ? error.field : null);
    }
    return new ApiError(status, `HTTP_${status}`, `the API answered ${status}`, null, null);
  }

  /** Whether it names this field or one inside it (`destination.contactMappings[2]` is inside `destination.contactMappings`). */
  names(field: string): boolean {
    return this.field !== null && (this.field === field || this.field.startsWith(`${field}.`) || this.field.startsWith(`${field}[`));
  }
}

/** The message to show on a field, when the error names it. */
export function errorOn(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.names(field) ? error.message : undefined;
}
