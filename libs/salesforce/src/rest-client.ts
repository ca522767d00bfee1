import { AuthError, IntegrationError, RetryableError } from '@connector/domain';
import { SALESFORCE_API_VERSION } from './api-version';
import type { CallPace } from './call-pace';
import type { SalesforceSession } from './session';

export interface ApiUsage {
  used: number;
  limit: number;
}

export interface RestClientOptions {
  /** The `client=` of Sforce-Call-Options on every call, so change events the connector caused can be recognised. */
  callOptionsClient: string;
  timeoutMs?: number;
  onApiUsage?: (usage: ApiUsage) => void;
  /** Awaited before every call that spends the org's API allocation (e.g. while its quota is paused). */
  beforeCall?: () => Promise<void>;
  /** The org's calls in flight (shared by every client of the org); without it, calls are not held back. */
  pace?: CallPace;
}

/** Calls a caller fans out to when the client has no pace. */
const UNPACED_WIDTH = 4;

export interface SalesforceApiError {
  errorCode: string;
  message: string;
  fields?: string[];
}

type Fetch = typeof fetch;

/** A request body sent as it is (a Bulk API CSV upload), not as JSON. */
export class RawBody {
  constructor(readonly text: string, readonly contentType: string) {}
}

/**
 * The REST API of one org: authenticated calls with one refresh-and-retry on 401, usage tracking from
 * Sforce-Limit-Info, and errors in the domain taxonomy (REQUEST_LIMIT_EXCEEDED and 5xx retryable,
 * INVALID_SESSION_ID after a refresh an AuthError, the rest integration errors with Salesforce's code).
 */
export class SalesforceRestClient {
  constructor(
    private readonly session: SalesforceSession,
    private readonly options: RestClientOptions,
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async describe(objectName: string): Promise<Record<string, unknown>> {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(objectName)) throw new IntegrationError('INVALID_TYPE', `invalid object name ${objectName}`);
    return this.request<Record<string, unknown>>('GET', `/sobjects/${objectName}/describe`);
  }

  async limits(): Promise<Record<string, { Max: number; Remaining: number }>> {
    return this.request('GET', '/limits');
  }

  /** How many calls a caller may fan out to: the pace's widest (it holds back what is past its width now). */
  get width(): number {
    return this.options.pace?.maxWidth ?? UNPACED_WIDTH;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.paced(async () => this.parse<T>(await this.authenticated(method, path, body, headers), method, path));
  }

  /** A text response (Bulk CSV) with its headers; errors as for `request`. */
  async requestText(method: string, path: string, headers: Record<string, string> = {}): Promise<{ text: string; headers: Headers }> {
    return this.paced(async () => {
      const response = await this.authenticated(method, path, undefined, headers);
      if (!response.ok) return this.parse<never>(response, method, path);
      return { text: await response.text(), headers: response.headers };
    });
  }

  /**
   * Runs one call within the org's pace, after any pause the caller imposes (a paused org's wait neither holds
   * a slot nor counts as latency); a refusal for the request limit narrows the pace.
   */
  private async paced<T>(call: () => Promise<T>): Promise<T> {
    await this.options.beforeCall?.();
    const { pace } = this.options;
    if (!pace) return call();
    try {
      return await pace.run(call);
    } catch (error) {
      if (error instanceof RetryableError && error.code === 'REQUEST_LIMIT_EXCEEDED') pace.limitExceeded();
      throw error;
    }
  }

  /** Sends once; on 401 refreshes the token (shared with concurrent callers) and sends again. */
  private async authenticated(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
    const token = this.session.accessToken();
    const first = await this.send(method, path, body, headers);
    if (first.status !== 401) return first;
    await first.body?.cancel();
    await this.session.refresh(token);
    const second = await this.send(method, path, body, headers);
    if (second.status === 401) throw new AuthError('INVALID_SESSION_ID', 'Salesforce refused the session even after a token refresh');
    return second;
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
    const url = `${this.session.instanceUrl}/services/data/v${SALESFORCE_API_VERSION}${path}`;
    try {
      const response = await this.fetchImpl(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.session.accessToken()}`,
          Accept: 'application/json',
          'Sforce-Call-Options': `client=${this.options.callOptionsClient}`,
          ...(body === undefined ? {} : { 'Content-Type': body instanceof RawBody ? body.contentType : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : body instanceof RawBody ? body.text : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const usage = /api-usage=(\d+)\/(\d+)/.exec(response.headers.get('sforce-limit-info') ?? '');
      if (usage) this.options.onApiUsage?.({ used: Number(usage[1]), limit: Number(usage[2]) });
      return response;
    } catch (error) {
      throw new RetryableError('SALESFORCE_UNREACHABLE', `Salesforce did not answer ${method} ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  private async parse<T>(response: Response, method: string, path: string): Promise<T> {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (response.ok) return body as T;
    const first = (Array.isArray(body) ? body[0] : body) as SalesforceApiError | null;
    const code = first?.errorCode ?? `HTTP_${response.status}`;
    const message = first?.message ?? `${method} ${path} failed with ${response.status}`;
    if (response.status >= 500 || code === 'REQUEST_LIMIT_EXCEEDED' || code === 'UNABLE_TO_LOCK_ROW' || code === 'SERVER_UNAVAILABLE') {
      throw new RetryableError(code, message, { retryAfterMs: Number(response.headers.get('retry-after') ?? 0) * 1000 || undefined });
    }
    throw new IntegrationError(code, message);
  }
}
