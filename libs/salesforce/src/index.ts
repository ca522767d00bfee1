export * from './api-version';
export * from './hosts';
export * from './oauth-client';
