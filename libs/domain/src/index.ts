export * from './errors';
export * from './identifiers';
export * from './backoff';
