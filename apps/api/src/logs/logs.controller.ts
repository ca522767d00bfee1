import { BadRequestException, Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ConnectionsRepository, InvalidCursor, RecordKey, SyncLogEntry, SyncLogsRepository } from '@connector/persistence';
import type { z } from 'zod';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-verifier';
import { ZodPipe } from '../http/zod.pipe';
import { logEntryView, logQuery, timelineQuery } from './logs.schemas';

const CONNECTION_ID = /^con_[0-9a-f]{24}$/;

/** The record keys a query names, in the order of the parameters. */
function recordKeys(query: { userId?: string; email?: string; accountId?: string; domain?: string; salesforceId?: string }): RecordKey[] {
  const given: RecordKey[] = [];
  if (query.userId) given.push({ kind: 'user', value: query.userId });
  if (query.email) given.push({ kind: 'email', value: query.email });
  if (query.accountId) given.push({ kind: 'account', value: query.accountId });
  if (query.domain) given.push({ kind: 'domain', value: query.domain });
  if (query.salesforceId) given.push({ kind: 'sf', value: query.salesforceId });
  return given;
}

function entryView(entry: SyncLogEntry) {
  return logEntryView.parse({ ...entry, occurredAt: entry.occurredAt.toISOString() });
}

/**
 * The bi-directional sync log of a connection. Scoped by tenant and connection; still readable after the
 * connection was disconnected, until retention removes it. A connection id the tenant has neither a connection
 * nor logs for answers 404, like every other route.
 */
@Controller('v1/connections/:connectionId/logs')
export class LogsController {
  constructor(private readonly logs: SyncLogsRepository, private readonly connections: ConnectionsRepository) {}

  private async requireKnown(tenantId: string, connectionId: string): Promise<void> {
    const known = CONNECTION_ID.test(connectionId) && ((await this.connections.findById(tenantId, connectionId)) !== null || (await this.logs.hasAny(tenantId, connectionId)));
    if (!known) throw new NotFoundException({ code: 'CONNECTION_NOT_FOUND', message: `no connection ${connectionId} in this project` });
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Query(new ZodPipe(logQuery, 'query')) query: z.infer<typeof logQuery>) {
    await this.requireKnown(principal.tenantId, connectionId);
    try {
      const page = await this.logs.query(
        principal.tenantId,
        connectionId,
        {
          direction: query.direction,
          objectType: query.objectType,
          operation: query.operation,
          status: query.status,
          reason: query.reason,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
          records: recordKeys(query),
        },
        query.limit,
        query.cursor,
      );
      return { logs: page.entries.map(entryView), nextCursor: page.nextCursor };
    } catch (error) {
      if (error instanceof InvalidCursor) throw new BadRequestException({ code: 'INVALID_REQUEST', message: 'cursor: not a cursor this API gave', field: 'cursor' });
      throw error;
    }
  }

  /** One record's whole timeline across both directions, oldest first. */
  @Get('timeline')
  async timeline(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Query(new ZodPipe(timelineQuery, 'query')) query: z.infer<typeof timelineQuery>) {
    await this.requireKnown(principal.tenantId, connectionId);
    const [key] = recordKeys(query);
    return { record: key, entries: (await this.logs.timeline(principal.tenantId, connectionId, key)).map(entryView) };
  }
}
