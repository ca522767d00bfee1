import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectAvroTransport } from '@connector/kafka';
import type { ApiConfig } from './api.config';
import { requestPolicy, verifyUtf8 } from './http/request-policy';
import { serveConsole } from './http/console';

/**
 * What main applies to the API app before it starts: the request policy (methods, JSON bodies only, a body
 * deadline), a bounded UTF-8 JSON parser (413 / 400 in the API's error shape), no framework banner, and the
 * sync-log consumer.
 */
export function configureApi(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  express.use(requestPolicy({ bodyTimeoutMs: config.API_BODY_TIMEOUT_MS }));
  express.useBodyParser('json', { limit: config.API_BODY_LIMIT, verify: verifyUtf8 });
  // A zero-length body is no body (the parser would make it {}): a route that needs one says so.
  express.use((request: Request, _response: unknown, next: () => void) => {
    if (request.headers['content-length'] === '0') request.body = undefined;
    next();
  });
  express.disable('x-powered-by');
  if (config.API_CONSOLE) serveConsole(express);
  // Requests Node's parser refuses before any route (a malformed request line, oversized headers) answer in the
  // error shape too, instead of Node's bare 400.
  (app.getHttpServer() as Server).on('clientError', answerClientError);
  connectAvroTransport(app);
}

function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, text, code] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'REQUEST_TIMEOUT'] : [400, 'Bad Request', 'MALFORMED_REQUEST'];
  const body = JSON.stringify({ error: { code, message: `the request could not be read: ${error.message}`, errorId: randomUUID() } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
