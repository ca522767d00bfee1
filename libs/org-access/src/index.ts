/** What every app needs of a connection beyond its stored state: Salesforce sessions, and telling the others it changed. */
export * from './org-sessions';
export * from './connection-changes';
export * from './api-quota';
export * from './nest/org-access.module';
export * from './describe-cache';
