import { Connection, OAuth2 } from 'jsforce';
import { DEFAULT_APP, EmulatorOptions, LATEST_VERSION, SalesforceEmulator } from '../src';

export const REDIRECT_URI = 'http://localhost/callback';

export interface Harness {
  emulator: SalesforceEmulator;
  url: string;
  admin<T = Record<string, unknown>>(path: string, body?: unknown, method?: string): Promise<T>;
  oauth2(options?: { useVerifier?: boolean }): OAuth2;
  /** A jsforce connection as the integration user (password grant), on the latest version. */
  connect(options?: { version?: string; callOptions?: Record<string, string> }): Promise<Connection>;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = new SalesforceEmulator({ bulkProcessingDelayMs: 30, cometdConnectTimeoutMs: 2000, ...options });
  const url = await emulator.start();
  const harness: Harness = {
    emulator,
    url,
    async admin(path, body, method) {
      const response = await fetch(`${url}/__emulator/${path}`, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${text}`);
      return JSON.parse(text);
    },
    oauth2: ({ useVerifier } = {}) =>
      new OAuth2({ loginUrl: url, clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret, redirectUri: REDIRECT_URI, useVerifier }),
    async connect({ version, callOptions } = {}) {
      const oauth2 = harness.oauth2();
      const token = await oauth2.authenticate('integration@journy-demo.example', 'emulator-password');
      return new Connection({ oauth2, instanceUrl: token.instance_url, accessToken: token.access_token, version: version ?? LATEST_VERSION, callOptions });
    },
    stop: () => emulator.stop(),
  };
  return harness;
}

/** Resolves when `predicate` holds, polling; fails with `what` after the timeout. */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function errorCodeOf(error: unknown): string | undefined {
  return (error as { errorCode?: string; name?: string }).errorCode ?? (error as { name?: string }).name;
}

export async function rejectionOf(promise: PromiseLike<unknown>): Promise<{ errorCode?: string; message: string; data?: unknown; name?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode?: string; message: string };
  }
  throw new Error('expected the call to fail');
}
