import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { connectAvroTransport } from '@connector/kafka';
import type { ApiConfig } from './api.config';

/** What main applies to the API app before it starts: body limits, no framework banner, the sync-log consumer. */
export function configureApi(app: INestApplication, config: ApiConfig): void {
  const express = app as NestExpressApplication;
  // Bodies are bounded; a larger one gets 413 in the API's error shape.
  express.useBodyParser('json', { limit: config.API_BODY_LIMIT });
  express.disable('x-powered-by');
  connectAvroTransport(app);
}
