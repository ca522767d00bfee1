import { HttpException, HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { allowedMethods } from './openapi';
import { sendError } from './error.filter';
import { firstBadString } from './text-search';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Whether the request carries a body (a length above zero, or a chunked one). */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * What every request meets before a controller: a method the path has (405 with Allow; OPTIONS answers the
 * Allow list), a JSON body or none (415), and a body that arrives within the time limit (408, then the
 * connection is closed). Each refusal is in the API's error shape.
 */
export function requestPolicy(options: { bodyTimeoutMs: number }) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const allowed = allowedMethods(request.path);
    if (!METHODS.has(request.method) || (allowed && !allowed.includes(request.method))) {
      if (allowed) response.setHeader('Allow', allowed.join(', '));
      return next(new HttpException({ code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not served${allowed ? ` on ${request.path}; it answers ${allowed.join(', ')}` : ''}` }, HttpStatus.METHOD_NOT_ALLOWED));
    }
    if (request.method === 'OPTIONS' && allowed) {
      response.setHeader('Allow', allowed.join(', '));
      response.status(204).end();
      return;
    }
    if (!hasBody(request)) return next();
    const type = request.headers['content-type'];
    if (!type || !JSON_TYPE.test(type)) {
      return next(new HttpException({ code: 'UNSUPPORTED_MEDIA_TYPE', message: `the body must be JSON (Content-Type: application/json), not ${type ?? 'untyped'}` }, HttpStatus.UNSUPPORTED_MEDIA_TYPE));
    }
    const timer = setTimeout(() => {
      if (request.complete) return;
      sendError(response, HttpStatus.REQUEST_TIMEOUT, 'REQUEST_TIMEOUT', `the body did not arrive within ${options.bodyTimeoutMs} ms`, { close: true });
      response.once('finish', () => request.destroy());
    }, options.bodyTimeoutMs);
    timer.unref();
    request.once('end', () => clearTimeout(timer));
    request.once('close', () => clearTimeout(timer));
    next();
  };
}

/** An error the JSON body parser raises for bytes that are not UTF-8, naming the first field they make unreadable. */
export function verifyUtf8(_request: Request, _response: Response, body: Buffer): void {
  if (isUtf8(body)) return;
  let field = '(body)';
  try {
    // A decoder puts U+FFFD where bytes were not UTF-8: the first string holding one names the field.
    field = firstBadString(JSON.parse(body.toString('utf8')), (text) => (text.includes('\uFFFD') ? 'not UTF-8' : null))?.field ?? field;
  } catch {
    // not JSON either: the parser says so next
  }
  throw Object.assign(new Error(`${field}: must be valid UTF-8`), { status: 400, expose: true, type: 'encoding.invalid', field });
}
