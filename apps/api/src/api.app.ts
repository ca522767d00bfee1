import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { connectAvroTransport } from '@connector/kafka';
import type { ApiConfig } from './api.config';
import { requestPolicy, verifyUtf8 } from './http/request-policy';

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
  connectAvroTransport(app);
}
