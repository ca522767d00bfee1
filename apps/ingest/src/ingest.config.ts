import { httpFragment, kafkaFragment, loadConfig, mongoFragment, type Env } from '@connector/config';
import { z } from 'zod';

/** Every variable of the ingest app; documented in .env.example. */
export const ingestConfigSchema = z.object({
  ...httpFragment('INGEST_PORT', 3001),
  ...kafkaFragment,
  ...mongoFragment,
});

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  return loadConfig(ingestConfigSchema, env);
}
