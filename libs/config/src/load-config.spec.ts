import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { httpFragment, kafkaFragment, mongoFragment } from './fragments';

const schema = z.object({ ...httpFragment('API_PORT', 3000), ...kafkaFragment, ...mongoFragment });
const valid = {
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/connector',
};

function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses a valid environment into typed values with defaults', () => {
    const config = loadConfig(schema, valid);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.API_PORT).toBe(3000);
    expect(config.KAFKA_TOPIC_PARTITIONS).toBe(6);
    expect(config.KAFKA_PROVISION_TOPICS).toBe(true);
  });

  it('names each missing variable in one line', () => {
    const error = errorOf({ KAFKA_BROKERS: valid.KAFKA_BROKERS });
    expect(error.message).toBe('Invalid configuration: SCHEMA_REGISTRY_URL is required; MONGODB_URI is required');
    expect(error.message).not.toContain('\n');
  });

  it('treats empty values as missing', () => {
    expect(errorOf({ ...valid, MONGODB_URI: '  ' }).message).toContain('MONGODB_URI is required');
  });

  it('names invalid values and says what is expected', () => {
    expect(errorOf({ ...valid, API_PORT: '70000' }).message).toMatch(/^Invalid configuration: API_PORT /);
    expect(errorOf({ ...valid, KAFKA_BROKERS: 'localhost' }).message).toContain('KAFKA_BROKERS must be a comma-separated list of host:port');
    expect(errorOf({ ...valid, SCHEMA_REGISTRY_URL: 'ftp://x' }).message).toContain('SCHEMA_REGISTRY_URL must be an http(s) URL');
    expect(errorOf({ ...valid, MONGODB_URI: 'postgres://x' }).message).toContain('MONGODB_URI must be a mongodb://');
    expect(errorOf({ ...valid, KAFKA_PROVISION_TOPICS: 'maybe' }).message).toContain('KAFKA_PROVISION_TOPICS must be true or false');
    expect(errorOf({ ...valid, LOG_LEVEL: 'loud' }).message).toMatch(/LOG_LEVEL /);
  });
});
