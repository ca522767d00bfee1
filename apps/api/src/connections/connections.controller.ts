import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { Connection, ConnectionsRepository } from '@connector/persistence';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-verifier';

/** What the API shows of a connection: never its credentials. */
export function connectionView(connection: Connection) {
  return {
    id: connection.id,
    name: connection.name,
    enabled: connection.enabled,
    status: connection.status,
    statusReason: connection.statusReason,
    salesforce: {
      orgId: connection.org.orgId,
      instanceUrl: connection.org.instanceUrl,
      environment: connection.org.environment,
      username: connection.org.username,
    },
    settings: connection.settings,
    revision: connection.revision,
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
  };
}

const CONNECTION_ID = /^con_[0-9a-f]{24}$/;

@Controller('v1/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsRepository) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    const connections = await this.connections.list(principal.tenantId);
    return { connections: connections.map(connectionView) };
  }

  /** Another tenant's connection answers 404, exactly like one that does not exist. */
  @Get(':connectionId')
  async get(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string) {
    const connection = CONNECTION_ID.test(connectionId) ? await this.connections.findById(principal.tenantId, connectionId) : null;
    if (!connection) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
    return connectionView(connection);
  }
}
