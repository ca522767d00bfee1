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
