import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { InvalidCursor, RecordKey, SyncLogEntry, SyncLogsRepository } from '@connector/persistence';
import { z } from 'zod';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-verifier';
import { parseOr400 } from '../connections/connections.controller';

const recordParams = {
  userId: z.string().min(1).max(255).optional(),
  email: z.string().min(3).max(320).optional(),
  accountId: z.string().min(1).max(255).optional(),
  domain: z.string().min(1).max(255).optional(),
  salesforceId: z.string().regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'must be a 15 or 18 character Salesforce id').optional(),
};

const logQuery = z
  .object({
    direction: z.enum(['SALESFORCE_TO_JOURNY', 'JOURNY_TO_SALESFORCE']).optional(),
    objectType: z.enum(['USER', 'ACCOUNT', 'MEMBERSHIP', 'OTHER']).optional(),
    operation: z.enum(['CREATE', 'UPDATE', 'UPSERT', 'DELETE', 'UNDELETE', 'LINK', 'UNLINK', 'OTHER']).optional(),
    status: z.enum(['SUCCEEDED', 'SKIPPED', 'FAILED', 'RETRYING']).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
    ...recordParams,
  })
  .strict();

const timelineQuery = z.object(recordParams).strict();

function recordKey(query: { userId?: string; email?: string; accountId?: string; domain?: string; salesforceId?: string }): RecordKey | undefined {
  const given: RecordKey[] = [];
  if (query.userId) given.push({ kind: 'user', value: query.userId });
  if (query.email) given.push({ kind: 'email', value: query.email });
  if (query.accountId) given.push({ kind: 'account', value: query.accountId });
  if (query.domain) given.push({ kind: 'domain', value: query.domain });
  if (query.salesforceId) given.push({ kind: 'sf', value: query.salesforceId });
  if (given.length > 1) throw new BadRequestException({ code: 'INVALID_REQUEST', message: 'name the record by one of userId, email, accountId, domain or salesforceId', field: 'record' });
  return given[0];
}

function entryView(entry: SyncLogEntry) {
  return { ...entry, occurredAt: entry.occurredAt.toISOString() };
}

/**
 * The bi-directional sync log of a connection. Scoped by tenant and connection; still readable after the
 * connection was disconnected, until retention removes it.
 */
@Controller('v1/connections/:connectionId/logs')
export class LogsController {
  constructor(private readonly logs: SyncLogsRepository) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Query() raw: unknown) {
    const query = parseOr400(logQuery, raw);
    try {
      const page = await this.logs.query(
        principal.tenantId,
        connectionId,
        {
          direction: query.direction,
          objectType: query.objectType,
          operation: query.operation,
          status: query.status,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
          record: recordKey(query),
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
  async timeline(@CurrentPrincipal() principal: Principal, @Param('connectionId') connectionId: string, @Query() raw: unknown) {
    const key = recordKey(parseOr400(timelineQuery, raw));
    if (!key) throw new BadRequestException({ code: 'INVALID_REQUEST', message: 'name the record by userId, email, accountId, domain or salesforceId', field: 'record' });
    return { record: key, entries: (await this.logs.timeline(principal.tenantId, connectionId, key)).map(entryView) };
  }
}
