export * from './redaction';
export * from './logger';
export * from './metrics';
export * from './health';
export * from './nest/tokens';
export * from './nest/pino-nest-logger';
export * from './nest/observability.module';
export * from './nest/bootstrap';
