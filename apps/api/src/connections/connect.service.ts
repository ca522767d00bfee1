import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { describeError } from '@connector/domain';
import { LOGGER, type Logger } from '@connector/observability';
import { ACTIVE_STATES, Connection, ConnectionsRepository, ImportJobsRepository, OAuthStatesRepository, TokenCipher, newConnectionId } from '@connector/persistence';
import { HostPolicy, LoginEnvironment, SalesforceOAuthClient, TokenSet, loginUrlFor } from '@connector/salesforce';
import { createHash, randomBytes } from 'node:crypto';
import { ConnectionChangesPublisher } from './connection-changes.publisher';
import { OAuthStateSigner } from './oauth-state-signer';

export const CONNECT_OPTIONS = Symbol('CONNECT_OPTIONS');

export interface ConnectOptions {
  stateTtlMs: number;
  hostPolicy: HostPolicy;
}

/** Connecting an org (OAuth web-server flow with PKCE), reconnecting it, and disconnecting it. */
@Injectable()
export class ConnectService {
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

  async start(tenantId: string, input: { environment: LoginEnvironment; myDomainUrl?: string }): Promise<{ authorizeUrl: string; expiresAt: string }> {
    const loginUrl = loginUrlFor(input.environment, this.options.hostPolicy, input.myDomainUrl);
    const verifier = randomBytes(48).toString('base64url');
    const { state, nonce, expiresAt } = this.signer.issue(tenantId, this.options.stateTtlMs);
    await this.states.create(tenantId, {
      nonce,
      loginUrl,
      environment: input.environment,
      codeVerifier: this.cipher.encrypt(verifier, `oauth-state:${nonce}`),
      returnUrl: null,
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
  async callback(query: { code?: string; state?: string; error?: string; error_description?: string }): Promise<{ connection: Connection; created: boolean }> {
    const signed = query.state ? this.signer.verify(query.state) : null;
    if (!signed) throw new BadRequestException({ code: 'INVALID_STATE', message: 'the authorization state is missing, forged or expired: start the connection again' });
    const pending = await this.states.consume(signed.tenantId, signed.nonce);
    if (!pending) throw new BadRequestException({ code: 'INVALID_STATE', message: 'this authorization was already used or has expired: start the connection again' });
    if (query.error) {
      throw new BadRequestException({ code: 'SALESFORCE_ACCESS_DENIED', message: `Salesforce did not grant access: ${query.error_description ?? query.error}` });
    }
    if (!query.code) throw new BadRequestException({ code: 'MISSING_CODE', message: 'the callback carries no authorization code', field: 'code' });
    const verifier = this.cipher.decrypt(pending.codeVerifier, `oauth-state:${pending.nonce}`);
    const tokens = await this.oauth.exchangeCode({ loginUrl: pending.loginUrl, code: query.code, codeVerifier: verifier });
    const identity = await this.oauth.identity({ identityUrl: tokens.identityUrl, accessToken: tokens.accessToken });
    const org = {
      orgId: identity.orgId,
      instanceUrl: tokens.instanceUrl,
      loginUrl: pending.loginUrl,
      environment: pending.environment,
      integrationUserId: identity.userId,
      username: identity.username,
    };
    const existing = await this.connections.findByOrg(signed.tenantId, identity.orgId);
    if (existing) {
      const updated = await this.connections.update(signed.tenantId, existing.id, { org, credentials: this.credentials(existing.id, tokens), status: 'CONNECTED', statusReason: null });
      await this.changes.changed('UPDATED', updated!);
      this.logger.info({ tenantId: signed.tenantId, connectionId: existing.id, orgId: identity.orgId }, 'Salesforce org reconnected');
      return { connection: updated!, created: false };
    }
    // The ciphertexts are bound to the connection id, so the id is chosen first.
    const id = newConnectionId();
    const connection = await this.connections.create(
      signed.tenantId,
      { name: identity.username ? `Salesforce (${identity.username})` : 'Salesforce', org, credentials: this.credentials(id, tokens) },
      id,
    );
    await this.changes.changed('CREATED', connection);
    this.logger.info({ tenantId: signed.tenantId, connectionId: id, orgId: identity.orgId }, 'Salesforce org connected');
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

  private credentials(connectionId: string, tokens: TokenSet) {
    return {
      accessToken: this.cipher.encrypt(tokens.accessToken, connectionId),
      refreshToken: tokens.refreshToken ? this.cipher.encrypt(tokens.refreshToken, connectionId) : null,
      issuedAt: tokens.issuedAt,
      scope: tokens.scope,
    };
  }
}
