/** Pure journy property ↔ Salesforce field mapping: compatibility, validation (and conversion, with the outbound issue). */
export * from './field-meta';
export * from './compatibility';
export * from './mapping';
export * from './inbound';
