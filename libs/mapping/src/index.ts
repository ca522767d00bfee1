/** Pure journy property ↔ Salesforce field mapping: compatibility, validation, and value conversion both ways. */
export * from './field-meta';
export * from './compatibility';
export * from './mapping';
export * from './inbound';
export * from './outbound';
