import { AuthError } from '@connector/domain';
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_APP, SalesforceEmulator } from '@tools/salesforce-emulator';
import { SalesforceOAuthClient } from '@connector/salesforce';

describe('SalesforceOAuthClient against the emulator', () => {
  let emulator: SalesforceEmulator;
  let client: SalesforceOAuthClient;
  let loginUrl: string;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true });
    loginUrl = await emulator.start();
    const host = new URL(loginUrl).host;
    client = new SalesforceOAuthClient(
      { clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret, redirectUri: 'http://localhost/callback' },
      { productionLoginUrl: loginUrl, sandboxLoginUrl: loginUrl, insecureHosts: [host] },
    );
  });
  afterAll(() => emulator.stop());

  async function authorize(): Promise<{ code: string; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = client.authorizeUrl({ loginUrl, state: 's-1', codeChallenge: createHash('sha256').update(verifier).digest('base64url') });
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s-1');
    return { code: location.searchParams.get('code')!, verifier };
  }

  it('exchanges a code with PKCE, reads the identity, refreshes, and revokes', async () => {
    const { code, verifier } = await authorize();
    const tokens = await client.exchangeCode({ loginUrl, code, codeVerifier: verifier });
    expect(tokens.orgId).toBe(emulator.org.orgId);
    expect(tokens.userId).toBe(emulator.integrationUserId);
    expect(tokens.instanceUrl).toBe(loginUrl);
    expect(tokens.refreshToken).toBeTruthy();
    const identity = await client.identity({ identityUrl: tokens.identityUrl, accessToken: tokens.accessToken });
    expect(identity).toMatchObject({ orgId: emulator.org.orgId, userId: emulator.integrationUserId, username: 'integration@journy-demo.example' });

    const refreshed = await client.refresh({ loginUrl, refreshToken: tokens.refreshToken! });
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);

    await client.revoke({ loginUrl, token: tokens.refreshToken! });
    const refused = client.refresh({ loginUrl, refreshToken: tokens.refreshToken! });
    await expect(refused).rejects.toBeInstanceOf(AuthError);
    await expect(client.refresh({ loginUrl, refreshToken: tokens.refreshToken! })).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' });
  });

  it('refuses a wrong verifier as an integration error, and an unreachable host as retryable', async () => {
    const { code } = await authorize();
    await expect(client.exchangeCode({ loginUrl, code, codeVerifier: 'wrong' })).rejects.toMatchObject({ category: 'integration', code: 'invalid_request' });
    const offline = new SalesforceOAuthClient({ clientId: 'x', clientSecret: 'y', redirectUri: 'http://localhost/cb' }, { productionLoginUrl: 'http://127.0.0.1:1', sandboxLoginUrl: '', insecureHosts: ['127.0.0.1:1'] });
    await expect(offline.refresh({ loginUrl: 'http://127.0.0.1:1', refreshToken: 'r' })).rejects.toMatchObject({ category: 'retryable' });
  });
});
