import { httpFragment, kafkaFragment, loadConfig, mongoFragment, salesforceFragment, type Env } from '@connector/config';
import { z } from 'zod';

/** Every variable of the api app; documented in .env.example. */
export const apiConfigSchema = z.object({
  ...httpFragment('API_PORT', 3000),
  ...kafkaFragment,
  ...mongoFragment,
  ...salesforceFragment,
  /** How callers' bearer tokens are verified: journy signs them. */
  JOURNY_JWT_ALGORITHM: z.enum(['HS256', 'RS256', 'ES256']).default('HS256'),
  JOURNY_JWT_KEY: z.string().min(1),
  JOURNY_JWT_ISSUER: z.string().min(1).default('journy.io'),
  JOURNY_JWT_AUDIENCE: z.string().min(1).default('salesforce-connector'),
  API_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/, 'must look like 256kb or 1mb').default('256kb'),
  /** How long a request body may take to arrive, ms; a slower or incomplete one gets 408 and the connection closes. */
  API_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /** Signs the OAuth state (base64, at least 32 bytes). */
  OAUTH_STATE_SECRET: z.string().min(43),
  OAUTH_STATE_TTL_MS: z.coerce.number().int().positive().default(10 * 60_000),
  /** The connected app. */
  SALESFORCE_REDIRECT_URI: z.string().url(),
  /** Origins the OAuth callback may send the person back to (journy's web app), comma-separated; none = JSON answers only. */
  API_RETURN_URL_ORIGINS: z.string().default('').transform((v) => v.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean)),
  /** Requests per minute per tenant (per instance). */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Sync-log entries older than this are removed (the store has no TTL indexes: a sweep does it). */
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** The consumer group that stores connector.sync-log.v1 (every API instance shares it). */
  API_SYNC_LOG_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('connector-api-sync-log-sink'),
  /** Serve the console (the built apps/console) under /console/: true, false. */
  API_CONSOLE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  LOG_RETENTION_SWEEP_MS: z.coerce.number().int().min(1000).default(3_600_000),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(env: Env = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, env);
}
