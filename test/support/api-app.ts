import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Logger } from '@connector/observability';
import { configureApi } from '../../apps/api/src/api.app';
import type { ApiConfig } from '../../apps/api/src/api.config';
import { ApiModule } from '../../apps/api/src/api.module';

/** The API app as main starts it (its configuration, the sync-log consumer), served by supertest instead of a port. */
export async function startApi(config: ApiConfig, logger: Logger): Promise<INestApplication> {
  const module = await Test.createTestingModule({ imports: [ApiModule.forRoot(config, logger)] }).compile();
  const app = module.createNestApplication({ logger: false });
  configureApi(app, config);
  await app.init();
  await app.startAllMicroservices();
  return app;
}
