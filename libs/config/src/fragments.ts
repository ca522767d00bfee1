import { z } from 'zod';

/** Reusable pieces of the apps' configuration schemas. Every variable is documented in .env.example. */

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const brokerList = z
  .string()
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
  .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:/]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

const mongoUri = z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// URI');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function httpFragment<P extends string>(portVariable: P, defaultPort: number) {
  const portField = { [portVariable]: port.default(defaultPort) } as { [K in P]: z.ZodDefault<typeof port> };
  return {
    ...portField,
    HTTP_HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: logLevel.default('info'),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(15000),
  };
}

export const kafkaFragment = {
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]+$/, 'may hold letters, digits, ".", "_" and "-"').optional(),
  SCHEMA_REGISTRY_URL: httpUrl,
  KAFKA_TOPIC_PARTITIONS: positiveInt.max(1000).default(6),
  KAFKA_TOPIC_REPLICATION_FACTOR: positiveInt.max(10).default(1),
  KAFKA_TOPIC_RETENTION_MS: positiveInt.default(7 * 24 * 60 * 60 * 1000),
  KAFKA_DLQ_RETENTION_MS: positiveInt.default(30 * 24 * 60 * 60 * 1000),
  KAFKA_PROVISION_TOPICS: boolean.default(true),
} as const;

export const mongoFragment = {
  MONGODB_URI: mongoUri,
  MONGODB_CONNECT_ATTEMPTS: positiveInt.max(100).default(10),
  /** Store operations in flight per process (the driver's pool); see DEFAULT_MAX_POOL_SIZE. */
  MONGODB_MAX_POOL_SIZE: positiveInt.max(500).default(16),
} as const;

/** Salesforce access shared by every app that calls it: the connected app, login hosts, token encryption. */
export const salesforceFragment = {
  /** Encrypts OAuth tokens at rest: `id:base64(32 bytes)[,older…]`, the first one active. */
  TOKEN_ENCRYPTION_KEYS: z.string().regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44})*$/, 'must be id:base64key[,id:base64key…] with 32-byte keys'),
  SALESFORCE_CLIENT_ID: z.string().min(1),
  SALESFORCE_CLIENT_SECRET: z.string().min(1),
  SALESFORCE_LOGIN_URL: z.string().url().default('https://login.salesforce.com'),
  SALESFORCE_SANDBOX_LOGIN_URL: z.string().url().default('https://test.salesforce.com'),
  /** host:port allowed over plain http (the local emulator only), comma-separated. */
  SALESFORCE_INSECURE_HOSTS: z.string().default('').transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean)),
} as const;

export const configPrimitives = { port, positiveInt, boolean, httpUrl, brokerList, mongoUri };
