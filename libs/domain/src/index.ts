export * from './errors';
export * from './identifiers';
