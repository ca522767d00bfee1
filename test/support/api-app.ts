import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KafkaRuntime, TOPICS, startGroupAtEnd } from '@connector/kafka';
import type { Logger } from '@connector/observability';
import { uniqueName } from './stack-env';
import { configureApi } from '../../apps/api/src/api.app';
import type { ApiConfig } from '../../apps/api/src/api.config';
import { ApiModule } from '../../apps/api/src/api.module';

/**
 * The API app as main starts it (its configuration, the sync-log consumer), served by supertest instead of a
 * port. `ownLogs`: a database and a sink group of its own, the group starting at the topic's end, so the sink
 * stores only what the test publishes (the local store scans, and other tests' backlog would slow its queries).
 */
export async function startApi(config: ApiConfig, logger: Logger, options: { ownLogs?: boolean } = {}): Promise<INestApplication> {
  const own = options.ownLogs
    ? { ...config, MONGODB_URI: config.MONGODB_URI.replace(/\/[^/?]*(\?|$)/, `/${uniqueName('api').replace(/-/g, '_')}$1`), API_SYNC_LOG_GROUP: uniqueName('api-sync-log') }
    : config;
  const module = await Test.createTestingModule({ imports: [ApiModule.forRoot(own, logger)] }).compile();
  const app = module.createNestApplication({ logger: false });
  configureApi(app, own);
  await app.init();
  if (options.ownLogs) await startGroupAtEnd(app.get(KafkaRuntime).kafka, own.API_SYNC_LOG_GROUP, [TOPICS.syncLog.name]);
  await app.startAllMicroservices();
  return app;
}
