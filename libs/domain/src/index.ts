export * from './errors';
export * from './identifiers';
export * from './backoff';
export * from './concurrency';
