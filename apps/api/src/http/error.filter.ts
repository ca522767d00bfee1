import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { ConnectionNeedsReconnect } from '@connector/org-access';
import { ConnectorError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';

import type { ApiErrorBody } from './error.schema';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 408: 'REQUEST_TIMEOUT', 409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
};

/** Answers an error in the API's shape from outside a controller (a middleware); `close` ends the connection after it. */
export function sendError(response: Response, status: number, code: string, message: string, options: { close?: boolean } = {}): void {
  if (response.headersSent) return;
  if (options.close) response.setHeader('Connection', 'close');
  response.status(status).json({ error: { code, message, errorId: randomUUID() } } satisfies ApiErrorBody);
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { principal?: { tenantId: string } }>();
    const response = http.getResponse<Response>();
    if (response.headersSent) return; // answered already (a body that timed out)
    const errorId = randomUUID();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: ApiErrorBody['error'] = { code: 'INTERNAL', message: 'an unexpected error occurred', errorId };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const raw = exception.getResponse();
      const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      body = {
        code: typeof given.code === 'string' ? given.code : (STATUS_CODES[status] ?? 'ERROR'),
        message: typeof given.code === 'string' && typeof given.message === 'string' ? given.message : exception.message,
        errorId,
        ...(typeof given.field === 'string' ? { field: given.field } : {}),
        ...(given.details !== undefined ? { details: given.details } : {}),
      };
    } else if (isClientHttpError(exception)) {
      // Errors of the HTTP layer itself (body too large, malformed JSON): safe to show, as their `expose` says.
      status = exception.status;
      const code = exception.type === 'entity.parse.failed' ? 'MALFORMED_JSON' : exception.type === 'encoding.invalid' ? 'INVALID_REQUEST' : (STATUS_CODES[status] ?? 'BAD_REQUEST');
      body = { code, message: exception.message, errorId, ...(typeof exception.field === 'string' ? { field: exception.field } : {}) };
    } else if (exception instanceof ConnectionNeedsReconnect) {
      status = HttpStatus.CONFLICT;
      body = { code: exception.code, message: exception.message, errorId };
    } else if (exception instanceof ConnectorError && (exception.category === 'validation' || exception.category === 'integration')) {
      status = exception.category === 'validation' ? HttpStatus.BAD_REQUEST : HttpStatus.BAD_GATEWAY;
      body = { code: exception.code, message: exception.message, errorId, ...('field' in exception && exception.field ? { field: String(exception.field) } : {}) };
    }
    const context = { errorId, status, method: request.method, path: request.path, tenantId: request.principal?.tenantId, code: body.code };
    if (status >= 500) this.logger.error({ ...context, err: exception }, 'request failed');
    else this.logger.info(context, 'request refused');
    response.status(status).json({ error: body });
  }
}

function isClientHttpError(error: unknown): error is Error & { status: number; type?: string; field?: unknown } {
  const candidate = error as { status?: unknown; expose?: unknown };
  return error instanceof Error && typeof candidate.status === 'number' && candidate.status >= 400 && candidate.status < 500 && candidate.expose === true;
}
