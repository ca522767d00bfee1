import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { redact, redactString } from './redaction';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line)) };
}

describe('redaction', () => {
  it('removes secrets by key at any depth', () => {
    const out = redact({ connection: { credentials: { accessToken: 'abc', refresh_token: 'def' }, name: 'Acme' }, headers: { Authorization: 'Bearer x' } });
    expect(out).toEqual({ connection: { credentials: '[REDACTED]', name: 'Acme' }, headers: { Authorization: '[REDACTED]' } });
  });

  it('masks emails and phone numbers by key and inside text', () => {
    expect(redact({ email: 'jane.doe@example.com', Phone: '+32 475 12 34 56' })).toEqual({ email: 'j***@example.com', Phone: '[phone]' });
    expect(redactString('contact jane@example.com or +1 (415) 555-0100')).toBe('contact j***@example.com or [phone]');
  });

  it('removes bearer and Salesforce tokens and query-string secrets from text', () => {
    const token = '00D5g000004XyZ1!AQ4AQFwF5.abcdefghijklmnopqrstuvwxyz0123456789';
    expect(redactString(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer [REDACTED]');
    expect(redactString(`session ${token} expired`)).toBe('session [REDACTED] expired');
    expect(redactString('GET /callback?code=aPrx123&state=s1')).toBe('GET /callback?code=[REDACTED]&state=s1');
  });

  it('keeps ids, timestamps and counts intact', () => {
    const value = { recordId: '003A0000006Vm9rIAC', at: '2026-11-28T16:24:15.000Z', count: 12345678901, offset: '1234567890' };
    expect(redact(value)).toEqual(value);
  });

  it('applies to every line the logger writes, message and fields', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ name: 'test', level: 'info' }, stream);
    logger.info({ user: { email: 'a.b@example.com' }, refreshToken: 'r1' }, 'synced a.b@example.com with token Bearer abc.def');
    logger.error({ err: new Error('login failed for x@example.com') }, 'failed');
    const [first, second] = lines();
    expect(first.msg).toBe('synced a***@example.com with token Bearer [REDACTED]');
    expect(first.user).toEqual({ email: 'a***@example.com' });
    expect(first.refreshToken).toBe('[REDACTED]');
    expect(first.app).toBe('test');
    expect(JSON.stringify(second)).not.toContain('x@example.com');
  });
});
