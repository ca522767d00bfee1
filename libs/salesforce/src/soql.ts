import { flattenRestRecord, type Row } from './records';
import type { SalesforceRestClient } from './rest-client';

/** SOQL text literal with quotes and backslashes escaped. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `('…','…')` for an IN clause, every value escaped. */
export function soqlList(values: string[]): string {
  return `(${values.map(soqlString).join(',')})`;
}

/** Every record of a small REST query (following nextRecordsUrl), as Salesforce returns them. */
export async function queryRecords(rest: SalesforceRestClient, soql: string, includeDeleted = false): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  let path = `/${includeDeleted ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`;
  for (;;) {
    const result = await rest.request<{ records: Record<string, unknown>[]; done: boolean; nextRecordsUrl?: string }>('GET', path);
    records.push(...result.records);
    if (result.done || !result.nextRecordsUrl) return records;
    path = result.nextRecordsUrl.replace(/^\/services\/data\/v\d+\.\d+/, '');
  }
}

/** A SELECT over one object. */
export interface SelectQuery {
  object: string;
  fields: string[];
  where?: string;
  orderBy?: string;
}

export function soqlSelect(query: SelectQuery): string {
  return `SELECT ${query.fields.join(', ')} FROM ${query.object}${query.where ? ` WHERE ${query.where}` : ''}${query.orderBy ? ` ORDER BY ${query.orderBy}` : ''}`;
}

/** `<field> IN ('…','…')`, every value escaped. */
export function soqlIn(field: string, values: string[]): string {
  return `${field} IN ${soqlList(values)}`;
}

/** Every row of a (small) query over REST, relationships flattened to dotted names: re-reads, lookups. */
export async function queryRows(rest: SalesforceRestClient, query: SelectQuery | string, includeDeleted = false): Promise<Row[]> {
  const soql = typeof query === 'string' ? query : soqlSelect(query);
  return (await queryRecords(rest, soql, includeDeleted)).map((record) => flattenRestRecord(record));
}

/** The most values in one lookup's IN list. */
const LOOKUP_CHUNK = 150;
/** The most characters of quoted values in one lookup's IN list: its URL stays well under Salesforce's 16 KB. */
const LOOKUP_CHARS = 4000;

/** Splits lookup values into IN lists of at most LOOKUP_CHUNK values and LOOKUP_CHARS characters. */
export function lookupChunks(values: string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const value of values) {
    const size = value.length + 3;
    if (current.length > 0 && (current.length >= LOOKUP_CHUNK || chars + size > LOOKUP_CHARS)) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(value);
    chars += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
