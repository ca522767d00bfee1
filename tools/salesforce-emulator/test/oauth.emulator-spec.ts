import { Connection } from 'jsforce';
import { createHmac } from 'node:crypto';
import { DEFAULT_APP, LATEST_VERSION } from '../src';
import { Harness, REDIRECT_URI, rejectionOf, startEmulator } from './helpers';

/** Follows the consent page as a person would: GET the authorize URL, submit the form with a decision. */
async function consent(authorizeUrl: string, decision: 'allow' | 'deny', password = 'emulator-password'): Promise<URL> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Allow Access?');
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.set(m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  form.set('username', 'integration@journy-demo.example');
  form.set('password', password);
  form.set('decision', decision);
  const action = new URL('/services/oauth2/authorize', authorizeUrl);
  const response = await fetch(action, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  if (response.status !== 302) throw new Error(`expected a redirect, got ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get('location')!);
}

describe('OAuth 2.0 (jsforce)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startEmulator();
  });
  afterAll(() => h.stop());

  it('runs the web-server flow with PKCE and state: consent page, code, token, identity', async () => {
    const oauth2 = h.oauth2({ useVerifier: true });
    const authorizeUrl = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: 'st-123' });
    expect(authorizeUrl).toContain('code_challenge=');
    const callback = await consent(authorizeUrl, 'allow');
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe('st-123');
    const code = callback.searchParams.get('code')!;
    expect(code).toMatch(/^aPrx/);

    const conn = new Connection({ oauth2, version: LATEST_VERSION });
    const userInfo = await conn.authorize(code);
    expect(conn.instanceUrl).toBe(h.url);
    expect(conn.accessToken).toMatch(/^00D[A-Za-z0-9]{12}!/);
    expect(conn.refreshToken).toBeTruthy();
    expect(userInfo.organizationId).toBe(h.emulator.org.orgId);
    expect(userInfo.id).toBe(h.emulator.integrationUserId);

    const identity = await conn.identity();
    expect(identity.user_id).toBe(h.emulator.integrationUserId);
    expect(identity.organization_id).toBe(h.emulator.org.orgId);
    expect(identity.username).toBe('integration@journy-demo.example');

    // A code works once.
    await expect(oauth2.requestToken(code)).rejects.toMatchObject({ name: 'invalid_grant' });
  });

  it('refuses a wrong PKCE verifier, a missing one, and a foreign redirect_uri', async () => {
    const oauth2 = h.oauth2({ useVerifier: true });
    const callback = await consent(oauth2.getAuthorizationUrl({ scope: 'api refresh_token' }), 'allow');
    const code = callback.searchParams.get('code')!;
    const form = (extra: Record<string, string>) =>
      fetch(`${h.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: DEFAULT_APP.clientId, client_secret: DEFAULT_APP.clientSecret, redirect_uri: REDIRECT_URI, ...extra }),
      });
    const wrong = await form({ code_verifier: 'not-the-verifier' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_request', error_description: 'invalid code verifier' });
    const missing = await form({});
    expect(await missing.json()).toEqual({ error: 'invalid_grant', error_description: 'invalid code verifier' });
    const foreign = await fetch(`${h.url}/services/oauth2/authorize?response_type=code&client_id=${DEFAULT_APP.clientId}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`, { redirect: 'manual' });
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain('redirect_uri_mismatch');
  });

  it('redirects a denial with access_denied and the state', async () => {
    const callback = await consent(h.oauth2().getAuthorizationUrl({ scope: 'api', state: 'deny-me' }), 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBe('end-user denied authorization');
    expect(callback.searchParams.get('state')).toBe('deny-me');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('answers 401 INVALID_SESSION_ID after expiry, and jsforce refreshes once and retries', async () => {
    const oauth2 = h.oauth2();
    const callbackUrl = await (async () => {
      await h.admin('config', { autoApprove: true });
      try {
        const response = await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token' }), { redirect: 'manual' });
        return new URL(response.headers.get('location')!);
      } finally {
        await h.admin('config', { autoApprove: false });
      }
    })();
    const conn = new Connection({ oauth2, version: LATEST_VERSION });
    await conn.authorize(callbackUrl.searchParams.get('code')!);
    const firstToken = conn.accessToken;
    let refreshed = 0;
    conn.on('refresh', () => refreshed++);

    await h.admin('sessions/expire', {});
    const raw = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/limits`, { headers: { Authorization: `Bearer ${firstToken}` } });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);

    const result = await conn.query('SELECT Id FROM User');
    expect(result.totalSize).toBeGreaterThan(0);
    expect(refreshed).toBe(1);
    expect(conn.accessToken).not.toBe(firstToken);

    // A revoked refresh token ends it: the refresh itself fails with invalid_grant.
    await h.admin('sessions/revoke', {});
    const failure = await rejectionOf(conn.query('SELECT Id FROM User'));
    expect(`${failure.name}: ${failure.message}`).toMatch(/invalid_grant|expired access\/refresh token/);
  });

  it('expires tokens after the configured lifetime', async () => {
    await h.admin('config', { tokenLifetimeMs: 150 });
    try {
      const conn = await h.connect();
      await conn.query('SELECT Id FROM User');
      await new Promise((resolve) => setTimeout(resolve, 250));
      const raw = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/limits`, { headers: { Authorization: `OAuth ${conn.accessToken}` } });
      expect(raw.status).toBe(401);
    } finally {
      await h.admin('config', { tokenLifetimeMs: 7_200_000 });
    }
  });

  it('supports client_credentials, revoke and userinfo; signs token responses', async () => {
    const response = await fetch(`${h.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEFAULT_APP.clientId, client_secret: DEFAULT_APP.clientSecret }),
    });
    const token = (await response.json()) as Record<string, string>;
    expect(token.refresh_token).toBeUndefined();
    expect(typeof token.issued_at).toBe('string');
    const expected = createHmacBase64(DEFAULT_APP.clientSecret, token.id + token.issued_at);
    expect(token.signature).toBe(expected);

    const userinfo = await fetch(`${h.url}/services/oauth2/userinfo`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    expect(((await userinfo.json()) as Record<string, unknown>).organization_id).toBe(h.emulator.org.orgId);

    const revoke = await fetch(`${h.url}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: token.access_token }) });
    expect(revoke.status).toBe(200);
    const after = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/limits`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    expect(after.status).toBe(401);
    const again = await fetch(`${h.url}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: token.access_token }) });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('error=invalid_token');
  });

  it('rejects bad client credentials and unknown grants with Salesforce error bodies', async () => {
    await expect(h.oauth2().authenticate('integration@journy-demo.example', 'wrong')).rejects.toMatchObject({ name: 'invalid_grant' });
    const response = await fetch(`${h.url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=magic' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
  });
});

function createHmacBase64(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64');
}
