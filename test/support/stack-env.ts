/** Where the integration tests find the local stack: the same variables the apps read. */
export interface StackEnv {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  mongodbUri: string;
}

export function stackEnv(): StackEnv {
  const missing = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'MONGODB_URI'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need the local stack: ${missing.join(', ')} not set. ` +
        'Run `npm test` (it starts the stack), or `eval "$(npm run -s stack -- env)"` after `npm run stack -- up`.',
    );
  }
  return {
    kafkaBrokers: process.env.KAFKA_BROKERS!.split(','),
    schemaRegistryUrl: process.env.SCHEMA_REGISTRY_URL!,
    mongodbUri: process.env.MONGODB_URI!,
  };
}

/** A name no other test run has used, so that runs against a long-lived stack don't see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The API's own secrets and connected app, for tests (random keys; never used outside tests). */
export function apiTestEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const key = (n: number) => Buffer.alloc(32, n).toString('base64');
  return {
    JOURNY_JWT_KEY: key(7),
    TOKEN_ENCRYPTION_KEYS: `k1:${key(9)}`,
    OAUTH_STATE_SECRET: key(11),
    SALESFORCE_CLIENT_ID: '3MVG9emulator.journy.connector.client',
    SALESFORCE_CLIENT_SECRET: 'emulator-client-secret',
    SALESFORCE_REDIRECT_URI: 'http://localhost/callback',
    ...overrides,
  };
}
