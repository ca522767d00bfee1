import { ApiError } from './model/api-error';
import type { Connection, ImportJob, LogEntry, LogPage, SalesforceField } from './model/api-types';

/** The connector's public API, called with the signed-in journy token (the console uses no other endpoint). */
export class Api {
  constructor(private readonly token: string, private readonly base = '') {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, 'API_UNREACHABLE', `the connector's API did not answer: ${error instanceof Error ? error.message : String(error)}`, null, null);
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) throw ApiError.from(response.status, parsed);
    return parsed as T;
  }

  connections(): Promise<{ connections: Connection[] }> {
    return this.call('GET', '/v1/connections');
  }

  connection(id: string): Promise<Connection> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}`);
  }

  fields(id: string, object: 'Account' | 'Contact', refresh = false): Promise<{ object: string; fields: SalesforceField[] }> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}/salesforce/objects/${object}/fields${refresh ? '?refresh=true' : ''}`);
  }

  authorize(body: { environment: 'production' | 'sandbox' } | { environment: 'custom'; myDomainUrl: string }, returnUrl: string): Promise<{ authorizeUrl: string; expiresAt: string }> {
    return this.call('POST', '/v1/connections/salesforce/authorize', { ...body, returnUrl });
  }

  save(id: string, patch: Record<string, unknown>): Promise<Connection> {
    return this.call('PATCH', `/v1/connections/${encodeURIComponent(id)}`, patch);
  }

  disconnect(id: string): Promise<void> {
    return this.call('DELETE', `/v1/connections/${encodeURIComponent(id)}`);
  }

  imports(id: string): Promise<{ imports: ImportJob[] }> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}/imports`);
  }

  startImport(id: string): Promise<ImportJob> {
    return this.call('POST', `/v1/connections/${encodeURIComponent(id)}/imports`);
  }

  importJob(id: string, importId: string): Promise<ImportJob> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}/imports/${encodeURIComponent(importId)}`);
  }

  cancelImport(id: string, importId: string): Promise<ImportJob> {
    return this.call('POST', `/v1/connections/${encodeURIComponent(id)}/imports/${encodeURIComponent(importId)}/cancel`);
  }

  logs(id: string, query: string): Promise<LogPage> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}/logs?${query}`);
  }

  timeline(id: string, key: { param: string; value: string }): Promise<{ record: { kind: string; value: string }; entries: LogEntry[] }> {
    return this.call('GET', `/v1/connections/${encodeURIComponent(id)}/logs/timeline?${new URLSearchParams({ [key.param]: key.value })}`);
  }
}
