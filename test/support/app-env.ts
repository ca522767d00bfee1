/** The least environment an app's configuration loads with (local addresses, a throwaway key): for config tests. */
export const REQUIRED_APP_ENV = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/connector',
  TOKEN_ENCRYPTION_KEYS: 'k1:' + Buffer.alloc(32, 7).toString('base64'),
  SALESFORCE_CLIENT_ID: 'id',
  SALESFORCE_CLIENT_SECRET: 'secret',
};
