import { DEFAULT_APP } from './emulated-org';

/** A session token for the integration user through the password grant: for tests that need a plain token. */
export async function passwordGrantToken(url: string, username = 'integration@journy-demo.example', password = 'emulator-password'): Promise<string> {
  const response = await fetch(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: DEFAULT_APP.clientId, client_secret: DEFAULT_APP.clientSecret, username, password }),
  });
  if (!response.ok) throw new Error(`password grant failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
