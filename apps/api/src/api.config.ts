import { httpFragment, kafkaFragment, loadConfig, mongoFragment, type Env } from '@connector/config';
import { z } from 'zod';

/** Every variable of the api app; documented in .env.example. */
export const apiConfigSchema = z.object({
  ...httpFragment('API_PORT', 3000),
  ...kafkaFragment,
  ...mongoFragment,
  /** How callers' bearer tokens are verified: journy signs them. */
  JOURNY_JWT_ALGORITHM: z.enum(['HS256', 'RS256', 'ES256']).default('HS256'),
  JOURNY_JWT_KEY: z.string().min(1),
  JOURNY_JWT_ISSUER: z.string().min(1).default('journy.io'),
  JOURNY_JWT_AUDIENCE: z.string().min(1).default('salesforce-connector'),
  API_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'must look like 256kb or 1mb').default('256kb'),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, env);
}
