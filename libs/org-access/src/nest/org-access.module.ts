import { DynamicModule, Module } from '@nestjs/common';
import { KafkaRuntime } from '@connector/kafka';
import { LOGGER, MetricsRegistry, type Logger } from '@connector/observability';
import { ApiUsageRepository, ConnectionsRepository, TokenCipher } from '@connector/persistence';
import { SalesforceOAuthClient } from '@connector/salesforce';
import { ApiQuota, type ApiQuotaOptions } from '../api-quota';
import { ConnectionChangesPublisher } from '../connection-changes';
import { DescribeCache } from '../describe-cache';
import { OrgSessions } from '../org-sessions';

export interface OrgAccessOptions {
  env: {
    SALESFORCE_CLIENT_ID: string;
    SALESFORCE_CLIENT_SECRET: string;
    SALESFORCE_LOGIN_URL: string;
    SALESFORCE_SANDBOX_LOGIN_URL: string;
    SALESFORCE_INSECURE_HOSTS: string[];
    TOKEN_ENCRYPTION_KEYS: string;
  };
  /** The OAuth callback of the app that connects orgs; apps that only refresh tokens pass a placeholder. */
  redirectUri: string;
  /**
   * The API-quota governor. `reservePercent: 0` for an app that only reports usage and never pauses itself;
   * `honourPauses` makes every API call wait while the org is paused by another instance or app.
   */
  quota: (ApiQuotaOptions & { honourPauses: boolean }) | null;
}

/**
 * How an app reaches its tenants' orgs: the token cipher, the OAuth client, one session per connection
 * (refreshes shared, a refused grant published as a change), and the API-quota governor with its gauges.
 */
@Module({})
export class OrgAccessModule {
  static forRoot(options: OrgAccessOptions): DynamicModule {
    const { env, quota } = options;
    const hostPolicy = { productionLoginUrl: env.SALESFORCE_LOGIN_URL, sandboxLoginUrl: env.SALESFORCE_SANDBOX_LOGIN_URL, insecureHosts: env.SALESFORCE_INSECURE_HOSTS };
    return {
      module: OrgAccessModule,
      providers: [
        { provide: TokenCipher, useValue: TokenCipher.fromConfig(env.TOKEN_ENCRYPTION_KEYS) },
        { provide: SalesforceOAuthClient, useValue: new SalesforceOAuthClient({ clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET, redirectUri: options.redirectUri }, hostPolicy) },
        { provide: ConnectionChangesPublisher, inject: [KafkaRuntime], useFactory: (kafka: KafkaRuntime) => new ConnectionChangesPublisher(kafka) },
        {
          provide: ApiQuota,
          inject: [ApiUsageRepository, LOGGER],
          useFactory: (usage: ApiUsageRepository, logger: Logger) => new ApiQuota(usage, quota ?? { reservePercent: 0 }, logger.child({ component: 'api-quota' })),
        },
        {
          provide: OrgSessions,
          inject: [ConnectionsRepository, TokenCipher, SalesforceOAuthClient, ConnectionChangesPublisher, ApiQuota, MetricsRegistry, LOGGER],
          useFactory: (connections: ConnectionsRepository, cipher: TokenCipher, oauth: SalesforceOAuthClient, changes: ConnectionChangesPublisher, governor: ApiQuota, metrics: MetricsRegistry, logger: Logger) => {
            const log = logger.child({ component: 'org-sessions' });
            if (!quota) return new OrgSessions(connections, cipher, oauth, (c) => changes.changed('UPDATED', c), log);
            const used = metrics.gauge('salesforce_api_used', 'Daily API requests used by the org, as Salesforce last reported', ['connection']);
            const limit = metrics.gauge('salesforce_api_limit', 'Daily API request allocation of the org', ['connection']);
            const paused = metrics.gauge('salesforce_api_paused', '1 while the connection is paused for API quota', ['connection']);
            return new OrgSessions(
              connections, cipher, oauth, (c) => changes.changed('UPDATED', c), log,
              (connection, usage) => {
                governor.observe(connection, usage);
                used.set({ connection: connection.id }, usage.used);
                limit.set({ connection: connection.id }, usage.limit);
                paused.set({ connection: connection.id }, governor.usage(connection.id)?.paused ? 1 : 0);
              },
              quota.honourPauses ? (connection) => governor.waitWhilePaused(connection) : undefined,
            );
          },
        },
        { provide: DescribeCache, inject: [OrgSessions], useFactory: (sessions: OrgSessions) => new DescribeCache(sessions) },
      ],
      exports: [TokenCipher, SalesforceOAuthClient, ConnectionChangesPublisher, ApiQuota, OrgSessions, DescribeCache],
    };
  }
}
