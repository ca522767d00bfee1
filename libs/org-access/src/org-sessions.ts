import { AuthError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import { Connection, ConnectionsRepository, RevisionConflictError, TokenCipher } from '@connector/persistence';
import { CallPace, SalesforceOAuthClient, SalesforceRestClient, SharedRefreshSession, type ApiUsage, type SalesforceSession } from '@connector/salesforce';

/** The connector's id in Sforce-Call-Options: change events carrying it are the connector's own writes. */
export const CALL_OPTIONS_CLIENT = 'journy-connector';

/** The connection can't reach Salesforce until someone reconnects it (its refresh token was refused). */
export class ConnectionNeedsReconnect extends AuthError {
  constructor(readonly connectionId: string) {
    super('CONNECTION_NEEDS_RECONNECT', `connection ${connectionId} needs to be reconnected: Salesforce no longer accepts its grant`);
  }
}

/** Told when a connection's grant is gone, so the other apps hear of it (the API's change publisher). */
export type GrantRevokedListener = (connection: Connection) => Promise<void>;

/**
 * Sessions per connection, shared by every caller in the app: one token refresh between concurrent callers, a
 * refreshed token stored (encrypted) for the other apps, credentials re-encrypted under the active key when
 * used, and a refused refresh token turned into a visible NEEDS_RECONNECT instead of failing in loops.
 */
export class OrgSessions {
  private readonly sessions = new Map<string, { instanceUrl: string; session: SharedRefreshSession }>();
  /** Each connection's pace: its org's calls in flight, from every client of the app. */
  private readonly paces = new Map<string, CallPace>();

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly oauth: SalesforceOAuthClient,
    private readonly onGrantRevoked: GrantRevokedListener,
    private readonly logger: Logger,
    /** Told of the org's API usage on every response (the quota governor). */
    private readonly onApiUsage?: (connection: Connection, usage: ApiUsage) => void,
    /** Awaited before every API call of a connection (an app that honours another one's quota pause). */
    private readonly beforeCall?: (connection: Connection) => Promise<void>,
  ) {}

  /** The session of a connection (for a stream client), or ConnectionNeedsReconnect. */
  session(connection: Connection): SalesforceSession {
    if (connection.status === 'NEEDS_RECONNECT') throw new ConnectionNeedsReconnect(connection.id);
    void this.rotateKeys(connection);
    let entry = this.sessions.get(connection.id);
    if (!entry || entry.instanceUrl !== connection.org.instanceUrl) {
      const token = this.cipher.decrypt(connection.credentials.accessToken, connection.id);
      entry = { instanceUrl: connection.org.instanceUrl, session: new SharedRefreshSession(connection.org.instanceUrl, token, () => this.refresh(connection)) };
      this.sessions.set(connection.id, entry);
    }
    return entry.session;
  }

  /** A REST client whose writes carry the connector's call-options client (for echo suppression). */
  client(connection: Connection): SalesforceRestClient {
    const onApiUsage = this.onApiUsage;
    const beforeCall = this.beforeCall;
    return new SalesforceRestClient(this.session(connection), {
      callOptionsClient: CALL_OPTIONS_CLIENT,
      onApiUsage: onApiUsage && ((usage) => onApiUsage(connection, usage)),
      beforeCall: beforeCall && (() => beforeCall(connection)),
      pace: this.paceOf(connection.id),
    });
  }

  private paceOf(connectionId: string): CallPace {
    let pace = this.paces.get(connectionId);
    if (!pace) this.paces.set(connectionId, (pace = new CallPace()));
    return pace;
  }

  forget(connectionId: string): void {
    this.sessions.delete(connectionId);
    this.paces.delete(connectionId);
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
        if (updated) await this.onGrantRevoked(updated);
        this.sessions.delete(connection.id);
        this.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, code: error.code }, 'Salesforce refused the refresh token; the connection needs reconnecting');
        throw new ConnectionNeedsReconnect(connection.id);
      }
      throw error;
    }
  }
}
