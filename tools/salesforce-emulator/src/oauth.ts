import { createHash, createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { randomToken } from './ids';
import { HttpError, Request, parseForm, send, bearerToken } from './http';
import { formatRestDateTime } from './values';
import type { Org } from './org';

export interface ConnectedApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface LoginUser {
  userId: string;
  username: string;
  password: string;
}

interface Session {
  userId: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  refreshToken: string | null;
}

interface RefreshGrant {
  userId: string;
  clientId: string;
  scope: string;
  revoked: boolean;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  scope: string;
  challenge: string | null;
  method: string | null;
  expiresAt: number;
  used: boolean;
}

export interface OAuthOptions {
  apps: ConnectedApp[];
  users: LoginUser[];
  tokenLifetimeMs: number;
  /** Tests: /authorize approves at once as the first user, without the consent page. */
  autoApprove: boolean;
}

function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(status, { error, error_description: description });
}

/** OAuth 2.0 as Salesforce serves it on the login host: web-server flow with PKCE, refresh, password, client credentials, revoke, identity. */
export class OAuthServer {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private orgId15: string;

  constructor(private readonly org: Org, readonly options: OAuthOptions, private readonly baseUrl: () => string) {
    this.orgId15 = org.orgId.slice(0, 15);
  }

  /** The session behind a request's token, or null when missing, unknown, expired or revoked. */
  authenticate(req: Request): Session | null {
    const token = bearerToken(req);
    return token ? this.sessionFor(token) : null;
  }

  /** The session of an access token, or null when unknown, expired or revoked (Pub/Sub sends it as call metadata). */
  sessionFor(token: string): Session | null {
    const session = this.sessions.get(token);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      this.sessions.delete(token);
      return null;
    }
    if (session.refreshToken && this.refreshGrants.get(session.refreshToken)?.revoked) return null;
    return session;
  }

  /** Test control: every access token stops working now (refresh tokens still do). */
  expireAllSessions(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    return n;
  }

  /** Test control: an admin revoked the app's refresh tokens (the connection must be reconnected). */
  revokeAllRefreshTokens(): void {
    for (const grant of this.refreshGrants.values()) grant.revoked = true;
    this.sessions.clear();
  }

  setTokenLifetime(ms: number): void {
    this.options.tokenLifetimeMs = ms;
  }

  private app(clientId: string | null): ConnectedApp | undefined {
    return this.options.apps.find((a) => a.clientId === clientId);
  }

  handleAuthorize(req: Request, res: ServerResponse): void {
    const params = req.method === 'POST' ? parseForm(req) : req.url.searchParams;
    const clientId = params.get('client_id');
    const redirectUri = params.get('redirect_uri');
    const app = this.app(clientId);
    if (!app) return send(res, 400, 'error=invalid_client_id&error_description=client%20identifier%20invalid');
    if (!redirectUri || !app.redirectUris.includes(redirectUri)) {
      return send(res, 400, 'error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration');
    }
    const state = params.get('state');
    const redirect = (query: Record<string, string>) => {
      const url = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      if (state !== null) url.searchParams.set('state', state);
      res.writeHead(302, { Location: url.toString() });
      res.end();
    };
    if (params.get('response_type') !== 'code') {
      return redirect({ error: 'unsupported_response_type', error_description: 'response type not supported' });
    }
    const method = params.get('code_challenge_method') ?? (params.get('code_challenge') ? 'S256' : null);
    if (method && method !== 'S256' && method !== 'plain') return redirect({ error: 'invalid_request', error_description: 'invalid code_challenge_method' });

    const decision = req.method === 'POST' ? params.get('decision') : this.options.autoApprove ? 'allow' : null;
    if (decision === null) return this.consentPage(res, params, app);
    if (decision !== 'allow') return redirect({ error: 'access_denied', error_description: 'end-user denied authorization' });

    const username = params.get('username');
    const user = username ? this.options.users.find((u) => u.username === username) : this.options.users[0];
    if (!user || (req.method === 'POST' && !this.options.autoApprove && user.password !== params.get('password'))) {
      return this.consentPage(res, params, app, 'Please check your username and password.');
    }
    const code = `aPrx${randomToken(40)}`;
    this.codes.set(code, {
      clientId: app.clientId,
      redirectUri,
      userId: user.userId,
      scope: params.get('scope') ?? 'api refresh_token',
      challenge: params.get('code_challenge'),
      method,
      expiresAt: Date.now() + 15 * 60_000,
      used: false,
    });
    redirect({ code });
  }

  /** A page a person can use: log in, review the permissions, allow or deny. */
  private consentPage(res: ServerResponse, params: URLSearchParams, app: ConnectedApp, error?: string): void {
    const hidden = [...params.entries()]
      .filter(([k]) => !['username', 'password', 'decision'].includes(k))
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('\n      ');
    const scopes = (params.get('scope') ?? 'api refresh_token').split(/\s+/).map((s) => `<li>${escapeHtml(s)}</li>`).join('');
    const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>Allow Access? | Salesforce emulator</title>
<style>body{font-family:sans-serif;max-width:420px;margin:40px auto}label{display:block;margin:8px 0}button{margin-right:8px;padding:6px 16px}.error{color:#b00}</style></head>
<body>
  <h1>Allow Access?</h1>
  <p>The app <strong>${escapeHtml(app.clientId.slice(0, 12))}…</strong> is asking to:</p>
  <ul>${scopes}</ul>
  ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/services/oauth2/authorize">
      ${hidden}
    <label>Username <input name="username" value="${escapeHtml(this.options.users[0]?.username ?? '')}"></label>
    <label>Password <input name="password" type="password"></label>
    <button type="submit" name="decision" value="allow">Allow</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </form>
</body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' });
    res.end(html);
  }

  handleToken(req: Request, res: ServerResponse): void {
    const params = parseForm(req);
    const grant = params.get('grant_type');
    const clientId = params.get('client_id');
    const secret = params.get('client_secret');
    const app = this.app(clientId);
    const checkSecret = (required: boolean) => {
      if (!app) throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
      if ((required || secret !== null) && secret !== app.clientSecret) throw oauthError(400, 'invalid_client', 'invalid client credentials');
    };
    switch (grant) {
      case 'authorization_code': {
        const code = params.get('code') ?? '';
        const entry = this.codes.get(code);
        if (!entry || entry.used || entry.expiresAt < Date.now()) throw oauthError(400, 'invalid_grant', 'invalid authorization code');
        if (!app || entry.clientId !== app.clientId) throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
        checkSecret(entry.challenge === null);
        if (params.get('redirect_uri') !== entry.redirectUri) throw oauthError(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
        if (entry.challenge) {
          const verifier = params.get('code_verifier');
          if (!verifier) throw oauthError(400, 'invalid_grant', 'invalid code verifier');
          const computed = entry.method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
          if (computed !== entry.challenge) throw oauthError(400, 'invalid_request', 'invalid code verifier');
        }
        entry.used = true;
        const withRefresh = /\b(refresh_token|offline_access|full)\b/.test(entry.scope);
        return send(res, 200, this.issue(app.clientId, entry.userId, entry.scope, withRefresh ? randomToken(48) : null));
      }
      case 'refresh_token': {
        const refresh = params.get('refresh_token') ?? '';
        const entry = this.refreshGrants.get(refresh);
        if (!entry || entry.revoked) throw oauthError(400, 'invalid_grant', 'expired access/refresh token');
        if (!app || entry.clientId !== app.clientId) throw oauthError(400, 'invalid_client_id', 'client identifier invalid');
        checkSecret(false);
        const token = this.issue(app.clientId, entry.userId, entry.scope, refresh);
        delete (token as { refresh_token?: string }).refresh_token; // Salesforce keeps the refresh token; none is returned
        return send(res, 200, token);
      }
      case 'password': {
        checkSecret(true);
        const user = this.options.users.find((u) => u.username === params.get('username'));
        if (!user || user.password !== params.get('password')) throw oauthError(400, 'invalid_grant', 'authentication failure');
        return send(res, 200, this.issue(app!.clientId, user.userId, 'api', null));
      }
      case 'client_credentials': {
        checkSecret(true);
        const user = this.options.users[0];
        return send(res, 200, this.issue(app!.clientId, user.userId, 'api', null));
      }
      default:
        throw oauthError(400, 'unsupported_grant_type', 'grant type not supported');
    }
  }

  private issue(clientId: string, userId: string, scope: string, refreshToken: string | null): Record<string, string> {
    const accessToken = `${this.orgId15}!${randomToken(60)}`;
    this.sessions.set(accessToken, { userId, clientId, scope, expiresAt: Date.now() + this.options.tokenLifetimeMs, refreshToken });
    if (refreshToken && !this.refreshGrants.has(refreshToken)) this.refreshGrants.set(refreshToken, { userId, clientId, scope, revoked: false });
    const id = `${this.baseUrl()}/id/${this.org.orgId}/${userId}`;
    const issuedAt = String(Date.now());
    const app = this.app(clientId)!;
    const body: Record<string, string> = {
      access_token: accessToken,
      signature: createHmac('sha256', app.clientSecret).update(id + issuedAt).digest('base64'),
      scope,
      instance_url: this.baseUrl(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
    if (refreshToken) body.refresh_token = refreshToken;
    return body;
  }

  handleRevoke(req: Request, res: ServerResponse): void {
    const token = (req.method === 'POST' ? parseForm(req) : req.url.searchParams).get('token') ?? '';
    if (this.sessions.delete(token)) return send(res, 200, undefined);
    const grant = this.refreshGrants.get(token);
    if (grant) {
      grant.revoked = true;
      for (const [access, session] of this.sessions) if (session.refreshToken === token) this.sessions.delete(access);
      return send(res, 200, undefined);
    }
    res.writeHead(400, { 'Content-Type': 'application/x-www-form-urlencoded' });
    res.end('error=invalid_token&error_description=invalid%20token');
  }

  /** /id/{org}/{user} and /services/oauth2/userinfo. */
  handleIdentity(req: Request, res: ServerResponse, userinfo: boolean): void {
    const session = this.authenticate(req);
    if (!session) {
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('Bad_OAuth_Token');
      return;
    }
    const user = this.org.get('User', session.userId);
    const base = this.baseUrl();
    const version = req.url.searchParams.get('version') ?? '{version}';
    const orgId = this.org.orgId;
    const urls = {
      enterprise: `${base}/services/Soap/c/${version}/${orgId}`,
      metadata: `${base}/services/Soap/m/${version}/${orgId}`,
      partner: `${base}/services/Soap/u/${version}/${orgId}`,
      rest: `${base}/services/data/v${version}/`,
      sobjects: `${base}/services/data/v${version}/sobjects/`,
      search: `${base}/services/data/v${version}/search/`,
      query: `${base}/services/data/v${version}/query/`,
      recent: `${base}/services/data/v${version}/recent/`,
      tooling_soap: `${base}/services/Soap/T/${version}/${orgId}`,
      tooling_rest: `${base}/services/data/v${version}/tooling/`,
      profile: `${base}/${session.userId}`,
      feeds: `${base}/services/data/v${version}/chatter/feeds`,
      groups: `${base}/services/data/v${version}/chatter/groups`,
      users: `${base}/services/data/v${version}/chatter/users`,
      feed_items: `${base}/services/data/v${version}/chatter/feed-items`,
      feed_elements: `${base}/services/data/v${version}/chatter/feed-elements`,
      custom_domain: base,
    };
    const photos = { picture: `${base}/profilephoto/005/F`, thumbnail: `${base}/profilephoto/005/T` };
    const identity = `${base}/id/${orgId}/${session.userId}`;
    const modified = typeof user?.LastModifiedDate === 'number' ? user.LastModifiedDate : Date.now();
    const shared = { active: true, user_type: 'STANDARD', language: 'en_US', locale: 'en_US', utcOffset: 3600000 };
    if (userinfo) {
      // The OpenID Connect UserInfo claims, plus Salesforce's own.
      return send(res, 200, {
        sub: identity,
        user_id: session.userId,
        organization_id: orgId,
        preferred_username: user?.Username ?? null,
        nickname: String(user?.Alias ?? 'user'),
        name: user?.Name ?? null,
        email: user?.Email ?? null,
        email_verified: true,
        given_name: user?.FirstName ?? null,
        family_name: user?.LastName ?? null,
        zoneinfo: 'Europe/Brussels',
        photos,
        profile: `${base}/${session.userId}`,
        picture: photos.picture,
        address: { country: 'BE' },
        is_salesforce_integration_user: false,
        urls,
        ...shared,
        updated_at: new Date(modified).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        is_app_installed: true,
      });
    }
    send(res, 200, {
      id: identity,
      asserted_user: true,
      user_id: session.userId,
      organization_id: orgId,
      username: user?.Username ?? null,
      nick_name: String(user?.Alias ?? 'user'),
      display_name: user?.Name ?? null,
      email: user?.Email ?? null,
      email_verified: true,
      first_name: user?.FirstName ?? null,
      last_name: user?.LastName ?? null,
      timezone: 'Europe/Brussels',
      photos,
      addr_street: null, addr_city: null, addr_state: null, addr_country: 'BE', addr_zip: null, mobile_phone: null, mobile_phone_verified: false,
      is_lightning_login_user: false,
      status: { created_date: null, body: null },
      urls,
      ...shared,
      last_modified_date: formatRestDateTime(modified),
      is_app_installed: true,
    });
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
