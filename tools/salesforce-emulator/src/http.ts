import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Request {
  method: string;
  url: URL;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  raw: IncomingMessage;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

/** A top-level REST error: always a JSON array of {message, errorCode[, fields]}. */
export function restError(status: number, errorCode: string, message: string, fields?: string[]): HttpError {
  return new HttpError(status, [{ message, errorCode, ...(fields ? { fields } : {}) }]);
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, [{ errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: `request body larger than ${limit} bytes` }]));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function parseJson(req: Request): unknown {
  const text = req.body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw restError(400, 'JSON_PARSER_ERROR', `Unexpected character: ${(error as Error).message}`);
  }
}

export function parseForm(req: Request): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

const DECIMAL_MARK = '@@json-decimal:';

/** A number that Salesforce writes with a fixed count of decimals (`"apiVersion":62.0`), which JSON.stringify drops. */
export class JsonDecimal {
  constructor(readonly value: number, readonly digits: number) {}

  toJSON(): string {
    return `${DECIMAL_MARK}${this.value.toFixed(this.digits)}`;
  }
}

/** JSON text of a response body, with JsonDecimal values as bare numbers. */
export function jsonText(body: unknown): string {
  const text = JSON.stringify(body);
  return text.includes(DECIMAL_MARK) ? text.replace(/"@@json-decimal:(-?\d+(?:\.\d+)?)"/g, '$1') : text;
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) return;
  if (body === undefined || body === null || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', ...headers });
    res.end(body);
    return;
  }
  const text = jsonText(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header.trim());
    if (m) return m[1].trim();
  }
  return req.url.searchParams.get('oauth_token');
}

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k) out[k] = v.join('=');
  }
  return out;
}

/** `client=<id>` from Sforce-Call-Options. */
export function callOptionsClient(req: Request): string | null {
  const header = req.headers['sforce-call-options'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  const m = /(?:^|,)\s*client\s*=\s*([^,]+)/i.exec(value);
  return m ? m[1].trim() : null;
}
