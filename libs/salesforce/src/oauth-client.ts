import { AuthError, IntegrationError, RetryableError } from '@connector/domain';
import { HostPolicy, checkSalesforceUrl } from './hosts';

export interface ConnectedAppCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface TokenSet {
  accessToken: string;
  /** Only on the first exchange (and only with the refresh_token scope); a refresh keeps the old one. */
  refreshToken: string | null;
  instanceUrl: string;
  identityUrl: string;
  orgId: string;
  userId: string;
  scope: string | null;
  issuedAt: Date;
}

export interface SalesforceIdentity {
  orgId: string;
  userId: string;
  username: string | null;
  displayName: string | null;
}

type Fetch = typeof fetch;

/**
 * OAuth 2.0 with a Salesforce login host: the web-server flow with PKCE, refresh, revoke and identity.
 * Errors come back in the domain taxonomy: a refused refresh token is an AuthError (the connection needs
 * reconnecting), a network failure or 5xx is retryable, anything else an IntegrationError.
 */
export class SalesforceOAuthClient {
  constructor(
    private readonly app: ConnectedAppCredentials,
    private readonly policy: HostPolicy,
    private readonly fetchImpl: Fetch = fetch,
    private readonly timeoutMs = 15_000,
  ) {}

  authorizeUrl(input: { loginUrl: string; state: string; codeChallenge: string; scope?: string }): string {
    const url = new URL('/services/oauth2/authorize', checkSalesforceUrl(input.loginUrl, this.policy, 'loginUrl'));
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.app.clientId);
    url.searchParams.set('redirect_uri', this.app.redirectUri);
    url.searchParams.set('scope', input.scope ?? 'api refresh_token');
    url.searchParams.set('state', input.state);
    url.searchParams.set('code_challenge', input.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('prompt', 'login consent');
    return url.toString();
  }

  async exchangeCode(input: { loginUrl: string; code: string; codeVerifier: string }): Promise<TokenSet> {
    return this.token(input.loginUrl, {
      grant_type: 'authorization_code',
      code: input.code,
      code_verifier: input.codeVerifier,
      redirect_uri: this.app.redirectUri,
    });
  }

  async refresh(input: { loginUrl: string; refreshToken: string }): Promise<TokenSet> {
    const tokens = await this.token(input.loginUrl, { grant_type: 'refresh_token', refresh_token: input.refreshToken });
    return { ...tokens, refreshToken: tokens.refreshToken ?? input.refreshToken };
  }

  /** Revokes a token (a refresh token ends its access tokens too). An already invalid token counts as revoked. */
  async revoke(input: { loginUrl: string; token: string }): Promise<void> {
    const response = await this.post(new URL('/services/oauth2/revoke', checkSalesforceUrl(input.loginUrl, this.policy, 'loginUrl')), { token: input.token });
    if (response.status === 200 || response.status === 400) return;
    throw this.failure(response.status, await response.text(), 'revoke');
  }

  async identity(input: { identityUrl: string; accessToken: string }): Promise<SalesforceIdentity> {
    const url = new URL(input.identityUrl);
    checkSalesforceUrl(url.origin, this.policy, 'identity URL');
    url.searchParams.set('format', 'json');
    const response = await this.send(url, { headers: { Authorization: `Bearer ${input.accessToken}`, Accept: 'application/json' } });
    const text = await response.text();
    if (response.status === 401 || response.status === 403) throw new AuthError('INVALID_SESSION', 'Salesforce refused the access token for the identity URL');
    if (!response.ok) throw this.failure(response.status, text, 'identity');
    const body = JSON.parse(text) as Record<string, unknown>;
    return {
      orgId: String(body.organization_id),
      userId: String(body.user_id),
      username: typeof body.username === 'string' ? body.username : null,
      displayName: typeof body.display_name === 'string' ? body.display_name : null,
    };
  }

  private async token(loginUrl: string, params: Record<string, string>): Promise<TokenSet> {
    const url = new URL('/services/oauth2/token', checkSalesforceUrl(loginUrl, this.policy, 'loginUrl'));
    const response = await this.post(url, { ...params, client_id: this.app.clientId, client_secret: this.app.clientSecret });
    const text = await response.text();
    let body: Record<string, string> = {};
    try {
      body = JSON.parse(text) as Record<string, string>;
    } catch {
      // not JSON: handled below
    }
    if (!response.ok) {
      if (response.status >= 500) throw new RetryableError('SALESFORCE_UNAVAILABLE', `Salesforce token endpoint answered ${response.status}`);
      if (body.error === 'invalid_grant' && params.grant_type === 'refresh_token') {
        throw new AuthError('REFRESH_TOKEN_REVOKED', `Salesforce refused the refresh token: ${body.error_description ?? 'invalid_grant'}`);
      }
      throw new IntegrationError(body.error ?? `HTTP_${response.status}`, body.error_description ?? `token request failed with ${response.status}`);
    }
    const instanceUrl = checkSalesforceUrl(body.instance_url, this.policy, 'instance_url');
    const [orgId, userId] = new URL(body.id).pathname.split('/').filter(Boolean).slice(-2);
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token ?? null,
      instanceUrl,
      identityUrl: body.id,
      orgId,
      userId,
      scope: body.scope ?? null,
      issuedAt: new Date(Number(body.issued_at) || Date.now()),
    };
  }

  private post(url: URL, form: Record<string, string>): Promise<Response> {
    return this.send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body: new URLSearchParams(form).toString() });
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new RetryableError('SALESFORCE_UNREACHABLE', `Salesforce at ${url.origin} did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  private failure(status: number, body: string, what: string): Error {
    if (status >= 500) return new RetryableError('SALESFORCE_UNAVAILABLE', `Salesforce ${what} answered ${status}`);
    return new IntegrationError(`HTTP_${status}`, `Salesforce ${what} failed with ${status}: ${body.slice(0, 200)}`);
  }
}
