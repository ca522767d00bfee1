export * from './api-version';
export * from './hosts';
export * from './oauth-client';
export * from './session';
export * from './rest-client';
export * from './csv';
export * from './bulk-query';
export * from './cdc-stream';
