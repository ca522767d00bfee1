import { httpFragment, kafkaFragment, loadConfig, mongoFragment, type Env } from '@connector/config';
import { z } from 'zod';

/** Every variable of the api app; documented in .env.example. */
export const apiConfigSchema = z.object({
  ...httpFragment('API_PORT', 3000),
  ...kafkaFragment,
  ...mongoFragment,
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, env);
}
