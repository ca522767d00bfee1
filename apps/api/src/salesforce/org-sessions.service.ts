import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { AuthError } from '@connector/domain';
import { LOGGER, type Logger } from '@connector/observability';
import { Connection, ConnectionsRepository, RevisionConflictError, TokenCipher } from '@connector/persistence';
import { SalesforceOAuthClient, SalesforceRestClient, SharedRefreshSession } from '@connector/salesforce';
import { ConnectionChangesPublisher } from '../connections/connection-changes.publisher';

/** The connector's id in Sforce-Call-Options: change events carrying it are the connector's own writes. */
export const CALL_OPTIONS_CLIENT = 'journy-connector';

/**
 * A REST client per connection, sharing one token refresh between concurrent calls. A refreshed token is stored
 * (encrypted) for the other apps; a refresh token Salesforce refused marks the connection as needing
 * reconnection, visibly, instead of failing in loops.
 */
@Injectable()
export class OrgSessions {
  private readonly sessions = new Map<string, { instanceUrl: string; session: SharedRefreshSession }>();

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly oauth: SalesforceOAuthClient,
    private readonly changes: ConnectionChangesPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  client(connection: Connection): SalesforceRestClient {
    if (connection.status === 'NEEDS_RECONNECT') throw this.needsReconnect(connection);
    void this.rotateKeys(connection);
    let entry = this.sessions.get(connection.id);
    if (!entry || entry.instanceUrl !== connection.org.instanceUrl) {
      const token = this.cipher.decrypt(connection.credentials.accessToken, connection.id);
      entry = { instanceUrl: connection.org.instanceUrl, session: new SharedRefreshSession(connection.org.instanceUrl, token, () => this.refresh(connection)) };
      this.sessions.set(connection.id, entry);
    }
    return new SalesforceRestClient(entry.session, { callOptionsClient: CALL_OPTIONS_CLIENT });
  }

  /** Key rotation: credentials still under an older key are re-encrypted with the active one when next used. */
  private async rotateKeys(connection: Connection): Promise<void> {
    const { accessToken, refreshToken } = connection.credentials;
    if (!this.cipher.needsRotation(accessToken) && !(refreshToken && this.cipher.needsRotation(refreshToken))) return;
    const reencrypt = (secret: typeof accessToken) => this.cipher.encrypt(this.cipher.decrypt(secret, connection.id), connection.id);
    try {
      await this.connections.update(connection.tenantId, connection.id, {
        credentials: { ...connection.credentials, accessToken: reencrypt(accessToken), refreshToken: refreshToken ? reencrypt(refreshToken) : null },
      }, connection.revision); // only if nothing (a refresh) changed them meanwhile
      this.logger.info({ tenantId: connection.tenantId, connectionId: connection.id }, 'credentials re-encrypted with the active key');
    } catch (error) {
      if (error instanceof RevisionConflictError) return; // changed meanwhile: the next use rotates
      this.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, err: error }, 'could not re-encrypt credentials; will try again on next use');
    }
  }

  forget(connectionId: string): void {
    this.sessions.delete(connectionId);
  }

  private async refresh(connection: Connection): Promise<string> {
    if (!connection.credentials.refreshToken) throw new AuthError('NO_REFRESH_TOKEN', 'the connection has no refresh token: reconnect it');
    try {
      const tokens = await this.oauth.refresh({ loginUrl: connection.org.loginUrl, refreshToken: this.cipher.decrypt(connection.credentials.refreshToken, connection.id) });
      await this.connections.update(connection.tenantId, connection.id, {
        credentials: { ...connection.credentials, accessToken: this.cipher.encrypt(tokens.accessToken, connection.id), issuedAt: tokens.issuedAt },
      });
      return tokens.accessToken;
    } catch (error) {
      if (error instanceof AuthError) {
        const updated = await this.connections.update(connection.tenantId, connection.id, { status: 'NEEDS_RECONNECT', statusReason: error.message });
        if (updated) await this.changes.changed('UPDATED', updated);
        this.sessions.delete(connection.id);
        this.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, code: error.code }, 'Salesforce refused the refresh token; the connection needs reconnecting');
        throw this.needsReconnect(connection);
      }
      throw error;
    }
  }

  private needsReconnect(connection: Connection): ConflictException {
    return new ConflictException({ code: 'CONNECTION_NEEDS_RECONNECT', message: `connection ${connection.id} needs to be reconnected: Salesforce no longer accepts its grant` });
  }
}
