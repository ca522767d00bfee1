export * from './mongo-connection';
export * from './errors';
export * from './connections/connection.entity';
export * from './connections/connection.schema';
export * from './connections/connection.repository';
export * from './persistence.module';
export * from './crypto/token-cipher';
