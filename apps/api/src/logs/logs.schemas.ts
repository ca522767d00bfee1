import { CURSOR_PATTERN } from '@connector/persistence';
import { z } from 'zod';
import { connectionIdParam } from '../connections/connections.schemas';

/** The request and response shapes of the log routes (validation and the OpenAPI document). */

export const logsParams = z.object({ connectionId: connectionIdParam });

const recordParams = {
  userId: z.string().min(1).max(255).optional(),
  email: z.string().min(1).max(320).optional(),
  accountId: z.string().min(1).max(255).optional(),
  domain: z.string().min(1).max(255).optional(),
  salesforceId: z.string().regex(/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/, 'must be a 15 or 18 character Salesforce id').optional(),
};

/** An RFC 3339 date-time (seconds included, as the document's `date-time` format requires). */
const instant = z.iso.datetime({ offset: true }).refine((value) => /T\d{2}:\d{2}:\d{2}/.test(value), 'must be an RFC 3339 date-time with seconds');

const direction = z.enum(['SALESFORCE_TO_JOURNY', 'JOURNY_TO_SALESFORCE']);
const objectType = z.enum(['USER', 'ACCOUNT', 'MEMBERSHIP', 'OTHER']);
const operation = z.enum(['CREATE', 'UPDATE', 'UPSERT', 'DELETE', 'UNDELETE', 'LINK', 'UNLINK', 'OTHER']);
const status = z.enum(['SUCCEEDED', 'SKIPPED', 'FAILED', 'RETRYING']);

export const logQuery = z
  .object({
    direction: direction.optional(),
    objectType: objectType.optional(),
    operation: operation.optional(),
    status: status.optional(),
    reason: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'a reason code such as NOT_IN_SEGMENT').optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().regex(new RegExp(CURSOR_PATTERN), 'not a cursor this API gave').optional(),
    ...recordParams,
  })
  .strict();

/** Exactly one of the record parameters names the record (the document says so: an exploded object with one property). */
export const timelineQuery = z
  .object(recordParams)
  .strict()
  .refine((query) => Object.values(query).filter((v) => v !== undefined).length === 1, { message: 'name the record by exactly one of userId, email, accountId, domain or salesforceId', path: ['record'] });

export const logEntryView = z.object({
  logId: z.string(),
  tenantId: z.string(),
  connectionId: z.string(),
  occurredAt: z.iso.datetime({ offset: true }),
  direction,
  mode: z.enum(['INITIAL_IMPORT', 'LIVE', 'RESYNC']),
  objectType,
  operation: z.string(),
  status,
  reason: z.string().nullable(),
  message: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), fields: z.array(z.string()) }).nullable(),
  journy: z.object({ userId: z.string().nullable(), email: z.string().nullable(), accountId: z.string().nullable(), domain: z.string().nullable() }),
  salesforce: z.object({ objectType: z.string().nullable(), recordId: z.string().nullable() }),
  fields: z.array(z.object({ name: z.string(), source: z.string().nullable(), value: z.string().nullable() })),
  correlationId: z.string().nullable(),
  attempt: z.number().int(),
  durationMs: z.number().nullable(),
});

export const logPage = z.object({ logs: z.array(logEntryView), nextCursor: z.string().nullable() });

export const timelineAnswer = z.object({
  record: z.object({ kind: z.enum(['user', 'email', 'account', 'domain', 'sf']), value: z.string() }),
  entries: z.array(logEntryView),
});
