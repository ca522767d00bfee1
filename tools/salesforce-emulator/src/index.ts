export { SalesforceEmulator, DEFAULT_APP, LATEST_VERSION, API_VERSIONS } from './server';
export type { EmulatorOptions, ErrorFault, FaultCategory, OrgSettings } from './server';
export type { FleetOrgRequest, FleetOrgView } from './fleet';
export { DEMO_CUSTOM_FIELDS, DEFAULT_USERS } from './seed';
export type { SeedFile, GeneratedSeed, SeedUser } from './seed';
export { checksumSuffix, to18 } from './ids';
export { passwordGrantToken } from './testing';
