import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContractName } from './topics';

export * from './contracts/contract-types.generated';

/** Reads a contract's Avro schema from its .avsc file (copied next to the compiled code by the build). */
export function loadContractSchema(name: ContractName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, 'contracts', `${name}.avsc`), 'utf8')) as Record<string, unknown>;
}
