import { AuthError, IntegrationError, RetryableError, ValidationError, categorize, describeError, isRetryable } from './errors';

describe('error taxonomy', () => {
  it('categorizes our errors by class, not by message', () => {
    expect(categorize(new RetryableError('UNABLE_TO_LOCK_ROW', 'x'))).toBe('retryable');
    expect(categorize(new AuthError('INVALID_SESSION_ID', 'x'))).toBe('auth');
    expect(categorize(new ValidationError('BAD_AVRO', 'x'))).toBe('validation');
    expect(categorize(new IntegrationError('STRING_TOO_LONG', 'x'))).toBe('integration');
  });

  it('treats unknown errors as retryable so nothing is dropped by accident', () => {
    expect(categorize(new Error('socket hang up'))).toBe('retryable');
    expect(isRetryable(new TypeError('x'))).toBe(true);
    expect(isRetryable(new ValidationError('BAD', 'x'))).toBe(false);
  });

  it('describes errors for logs and DLQ headers', () => {
    const described = describeError(new ValidationError('MISSING_FIELD', 'tenantId is required', { field: 'tenantId' }));
    expect(described).toEqual({ name: 'ValidationError', code: 'MISSING_FIELD', message: 'tenantId is required', category: 'validation' });
    expect(describeError('boom').message).toBe('boom');
  });
});
