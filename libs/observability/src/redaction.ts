/**
 * Redaction applied to every log line: secrets never appear, emails and phone numbers are masked, wherever they
 * sit in the logged object or message. Payloads are logged at debug only, and go through this too.
 */
const SECRET_KEY = /(token|secret|password|passwd|authorization|cookie|api[-_]?key|private[-_]?key|credential|code[-_]?verifier|auth(?:orization)?[-_]?code|assertion|signature)/i;
const EMAIL_KEY = /e-?mail/i;
const PHONE_KEY = /(phone|mobile|fax)/i;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const BEARER = /\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/!=-]+/gi;
// Salesforce session ids and access tokens: 00D<org id>!<opaque>.
const SALESFORCE_TOKEN = /\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+/g;
// Query-string secrets (…?access_token=…&code=…).
const URL_SECRET = /([?&](?:access_token|refresh_token|code|client_secret|token|password)=)[^&\s"]+/gi;
// International (+…) phone numbers and common grouped national formats; not bare digit runs, which are ids.
const PHONE = /(?<![\w/])(?:\+\d[\d\s().-]{6,}\d|\(\d{3}\)\s?\d{3}[\s.-]\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4}\b)/g;

export const REDACTED = '[REDACTED]';

export function maskEmail(value: string): string {
  return value.replace(EMAIL, (email) => {
    const [local, domain] = email.split('@');
    return `${local.slice(0, 1)}***@${domain}`;
  });
}

export function redactString(value: string): string {
  return value
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SALESFORCE_TOKEN, REDACTED)
    .replace(URL_SECRET, `$1${REDACTED}`)
    .replace(EMAIL, (email) => maskEmail(email))
    .replace(PHONE, '[phone]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: redactString(value.message), stack: value.stack ? redactString(value.stack) : undefined, ...(redact({ ...value }, depth + 1) as object) };
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && inner !== null && inner !== undefined && inner !== '') {
      out[key] = REDACTED;
    } else if (EMAIL_KEY.test(key) && typeof inner === 'string') {
      out[key] = maskEmail(inner);
    } else if (PHONE_KEY.test(key) && (typeof inner === 'string' || typeof inner === 'number')) {
      out[key] = '[phone]';
    } else {
      out[key] = redact(inner, depth + 1);
    }
  }
  return out;
}
