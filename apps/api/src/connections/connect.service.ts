import { BadRequestException, Inject, Injectable, NotFoundException, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { describeError } from '@connector/domain';
import { LOGGER, type Logger } from '@connector/observability';
import { ACTIVE_STATES, Connection, ConnectionsRepository, ImportJobsRepository, OAuthState, OAuthStatesRepository, TokenCipher, newConnectionId } from '@connector/persistence';
import { HostPolicy, LoginEnvironment, SalesforceOAuthClient, TokenSet, loginUrlFor } from '@connector/salesforce';
import { createHash, randomBytes } from 'node:crypto';
import { ConnectionChangesPublisher } from '@connector/org-access';
import { OAuthStateSigner } from './oauth-state-signer';

export const CONNECT_OPTIONS = Symbol('CONNECT_OPTIONS');

export interface ConnectOptions {
  stateTtlMs: number;
  hostPolicy: HostPolicy;
  /** Where the callback may send the person back to (journy's web app). */
  returnUrlOrigins: string[];
}

/** The outcome of a callback, and where to send the person (their app) when they came from one. */
export class CallbackFailure extends Error {
  constructor(readonly error: BadRequestException, readonly returnUrl: string | null) {
    super(error.message);
  }
}

/** Connecting an org (OAuth web-server flow with PKCE), reconnecting it, and disconnecting it. */
@Injectable()
export class ConnectService implements OnApplicationBootstrap, OnModuleDestroy {
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly states: OAuthStatesRepository,
    private readonly imports: ImportJobsRepository,
    private readonly cipher: TokenCipher,
    private readonly oauth: SalesforceOAuthClient,
    private readonly signer: OAuthStateSigner,
    private readonly changes: ConnectionChangesPublisher,
    @Inject(CONNECT_OPTIONS) private readonly options: ConnectOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweepExpiredStates().catch(() => undefined), 10 * 60_000);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  async start(tenantId: string, input: { environment: LoginEnvironment; myDomainUrl?: string; returnUrl?: string }): Promise<{ authorizeUrl: string; expiresAt: string }> {
    const loginUrl = loginUrlFor(input.environment, this.options.hostPolicy, input.myDomainUrl);
    const returnUrl = input.returnUrl ? this.checkReturnUrl(input.returnUrl) : null;
    const verifier = randomBytes(48).toString('base64url');
    const { state, nonce, expiresAt } = this.signer.issue(tenantId, this.options.stateTtlMs);
    await this.states.create(tenantId, {
      nonce,
      loginUrl,
      environment: input.environment,
      codeVerifier: this.cipher.encrypt(verifier, `oauth-state:${nonce}`),
      returnUrl,
      createdAt: new Date(),
      expiresAt,
    });
    const authorizeUrl = this.oauth.authorizeUrl({ loginUrl, state, codeChallenge: createHash('sha256').update(verifier).digest('base64url') });
    return { authorizeUrl, expiresAt: expiresAt.toISOString() };
  }

  /**
   * The callback: a valid, unexpired, unused state of ours, then the code exchange, the identity, and the
   * connection created (or updated when the same org reconnects). A denial or a replay creates nothing.
   */
  async callback(query: { code?: string; state?: string; error?: string; error_description?: string }): Promise<{ connection: Connection; created: boolean; returnUrl: string | null }> {
    const signed = query.state ? this.signer.verify(query.state) : null;
    if (!signed) throw new BadRequestException({ code: 'INVALID_STATE', message: 'the authorization state is missing, forged or expired: start the connection again' });
    const pending = await this.states.consume(signed.tenantId, signed.nonce);
    if (!pending) throw new BadRequestException({ code: 'INVALID_STATE', message: 'this authorization was already used or has expired: start the connection again' });
    const fail = (code: string, message: string, field?: string) => new CallbackFailure(new BadRequestException({ code, message, ...(field ? { field } : {}) }), pending.returnUrl);
    if (query.error) throw fail('SALESFORCE_ACCESS_DENIED', `Salesforce did not grant access: ${query.error_description ?? query.error}`);
    if (!query.code) throw fail('MISSING_CODE', 'the callback carries no authorization code', 'code');
    try {
      return { ...(await this.complete(signed.tenantId, pending, query.code)), returnUrl: pending.returnUrl };
    } catch (error) {
      if (pending.returnUrl && error instanceof Error && !(error instanceof CallbackFailure)) {
        throw new CallbackFailure(new BadRequestException({ code: 'CONNECT_FAILED', message: error.message }), pending.returnUrl);
      }
      throw error;
    }
  }

  private async complete(tenantId: string, pending: OAuthState, code: string): Promise<{ connection: Connection; created: boolean }> {
    const verifier = this.cipher.decrypt(pending.codeVerifier, `oauth-state:${pending.nonce}`);
    const tokens = await this.oauth.exchangeCode({ loginUrl: pending.loginUrl, code: code, codeVerifier: verifier });
    const identity = await this.oauth.identity({ identityUrl: tokens.identityUrl, accessToken: tokens.accessToken });
    const org = {
      orgId: identity.orgId,
      instanceUrl: tokens.instanceUrl,
      loginUrl: pending.loginUrl,
      environment: pending.environment,
      integrationUserId: identity.userId,
      username: identity.username,
    };
    const existing = await this.connections.findByOrg(tenantId, identity.orgId);
    if (existing) {
      const updated = await this.connections.update(tenantId, existing.id, { org, credentials: this.credentials(existing.id, tokens), status: 'CONNECTED', statusReason: null });
      await this.changes.changed('UPDATED', updated!);
      this.logger.info({ tenantId: tenantId, connectionId: existing.id, orgId: identity.orgId }, 'Salesforce org reconnected');
      return { connection: updated!, created: false };
    }
    // The ciphertexts are bound to the connection id, so the id is chosen first.
    const id = newConnectionId();
    const connection = await this.connections.create(
      tenantId,
      { name: identity.username ? `Salesforce (${identity.username})` : 'Salesforce', org, credentials: this.credentials(id, tokens) },
      id,
    );
    await this.changes.changed('CREATED', connection);
    this.logger.info({ tenantId: tenantId, connectionId: id, orgId: identity.orgId }, 'Salesforce org connected');
    return { connection, created: true };
  }

  /** Revokes the grant at Salesforce (best effort: a failure is logged), deletes the connection, tells the other apps. */
  async disconnect(tenantId: string, connectionId: string): Promise<void> {
    const connection = await this.connections.findById(tenantId, connectionId);
    if (!connection) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    const secret = connection.credentials.refreshToken ?? connection.credentials.accessToken;
    try {
      await this.oauth.revoke({ loginUrl: connection.org.loginUrl, token: this.cipher.decrypt(secret, connection.id) });
    } catch (error) {
      this.logger.warn({ tenantId, connectionId, error: describeError(error) }, 'could not revoke the Salesforce grant; deleting the connection anyway');
    }
    await this.connections.delete(tenantId, connectionId);
    for (const job of await this.imports.list(tenantId, connectionId)) {
      if (ACTIVE_STATES.includes(job.state)) await this.imports.finish(tenantId, connectionId, job.id, 'CANCELLED');
    }
    // Sync logs stay until retention removes them.
    await this.changes.deleted(connection);
    this.logger.info({ tenantId, connectionId }, 'Salesforce org disconnected');
  }

  /** Only back to an allowed origin (journy's web app): never an open redirect. */
  private checkReturnUrl(value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new BadRequestException({ code: 'INVALID_REQUEST', message: 'returnUrl: not a URL', field: 'returnUrl' });
    }
    if (!this.options.returnUrlOrigins.includes(url.origin)) {
      throw new BadRequestException({ code: 'INVALID_REQUEST', message: `returnUrl: ${url.origin} is not an allowed origin`, field: 'returnUrl' });
    }
    return url.toString();
  }

  /** Housekeeping: authorizations started and never completed. */
  async sweepExpiredStates(): Promise<number> {
    return this.states.deleteExpired();
  }

  private credentials(connectionId: string, tokens: TokenSet) {
    return {
      accessToken: this.cipher.encrypt(tokens.accessToken, connectionId),
      refreshToken: tokens.refreshToken ? this.cipher.encrypt(tokens.refreshToken, connectionId) : null,
      issuedAt: tokens.issuedAt,
      scope: tokens.scope,
    };
  }
}
