import { JOURNY_TYPES, type JournyType } from '@connector/mapping';
import { z } from 'zod';

/** The request and response shapes of the connection routes: the controllers validate with them, the OpenAPI document is made of them. */

export const connectionIdParam = z.string().regex(/^con_[0-9a-f]{24}$/, 'a connection id (con_ and 24 hex digits)');

const journyType = z.enum(JOURNY_TYPES as [JournyType, ...JournyType[]]);

const mapping = z
  .object({
    journyProperty: z.string().min(1).max(128),
    journyType,
    salesforceField: z.string().min(1).max(80),
  })
  .strict();

const segmentList = z.array(z.string().min(1).max(128)).max(200);

/** The three tabs of the product document: connection, source, destination. Unknown fields are refused. */
export const settingsPatch = z
  .object({
    expectedRevision: z.number().int().positive().optional(),
    name: z.string().trim().min(1).max(80).optional(),
    enabled: z.boolean().optional(),
    accountExternalIdField: z.string().min(1).max(80).nullable().optional(),
    source: z
      .object({
        ongoingImport: z.boolean().optional(),
        changeStream: z.enum(['pubsub', 'cometd']).nullable().optional().meta({ description: 'Which Salesforce API delivers change events: pubsub (gRPC), cometd (Streaming API); null: the instance default' }),
      })
      .strict()
      .optional(),
    destination: z
      .object({
        userSegments: segmentList.optional(),
        accountSegments: segmentList.optional(),
        createContacts: z.boolean().optional(),
        createAccounts: z.boolean().optional(),
        contactMappings: z.array(mapping).max(200).optional(),
        accountMappings: z.array(mapping).max(200).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SettingsPatch = z.infer<typeof settingsPatch>;

/** Salesforce's login domains over https (checkSalesforceUrl enforces them, plus the configured insecure hosts). */
const MY_DOMAIN = '^https://(?:[A-Za-z0-9-]+\\.)*(?:salesforce\\.com|force\\.com|salesforce-sites\\.com|cloudforce\\.com)/?$';

/** Where to send the person after consent (an allowed origin of journy's web app; the served document lists them); without it, JSON. */
const returnUrl = z.string().min(1).max(2048).optional();

/** Production and sandbox log in at Salesforce's hosts; a custom login needs the org's My Domain URL. */
export const authorizeBody = z.discriminatedUnion('environment', [
  z.object({ environment: z.enum(['production', 'sandbox']), returnUrl }).strict(),
  z.object({ environment: z.literal('custom'), myDomainUrl: z.string().min(1).max(255).meta({ pattern: MY_DOMAIN, description: 'https://<domain>.my.salesforce.com' }), returnUrl }).strict(),
]);

export type AuthorizeBody = z.infer<typeof authorizeBody>;

export const callbackQuery = z
  .object({
    code: z.string().max(2048).optional(),
    state: z.string().max(1024).optional(),
    error: z.string().max(256).optional(),
    error_description: z.string().max(1024).optional(),
  })
  .strict();

export const fieldsParams = z.object({ connectionId: connectionIdParam, object: z.enum(['Account', 'Contact']) });
export const fieldsQuery = z.object({ refresh: z.enum(['true', 'false']).optional() }).strict();

const storedMapping = z.object({ journyProperty: z.string(), journyType, salesforceField: z.string() });
const timestamp = z.iso.datetime({ offset: true });

export const apiUsageView = z.object({
  used: z.number().int(),
  limit: z.number().int(),
  remaining: z.number().int(),
  paused: z.boolean(),
  pausedUntil: timestamp.nullable(),
  pauseReason: z.string().nullable(),
  observedAt: timestamp,
});

export const connectionView = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  status: z.enum(['CONNECTED', 'NEEDS_RECONNECT']),
  statusReason: z.string().nullable(),
  salesforce: z.object({ orgId: z.string(), instanceUrl: z.string(), environment: z.enum(['production', 'sandbox', 'custom']), username: z.string().nullable() }),
  settings: z.object({
    accountExternalIdField: z.string().nullable(),
    source: z.object({ ongoingImport: z.boolean(), changeStream: z.enum(['pubsub', 'cometd']).nullable() }),
    destination: z.object({
      userSegments: z.array(z.string()),
      accountSegments: z.array(z.string()),
      createContacts: z.boolean(),
      createAccounts: z.boolean(),
      contactMappings: z.array(storedMapping),
      accountMappings: z.array(storedMapping),
      defaultContactMappings: z.array(storedMapping),
      defaultAccountMappings: z.array(storedMapping),
    }),
  }),
  revision: z.number().int(),
  apiUsage: apiUsageView.nullable().optional(),
  /** Where the connection's change stream stands: the source its position belongs to, and a fallback, if any. */
  stream: z
    .object({
      source: z.enum(['pubsub', 'cometd']).nullable(),
      fallbackReason: z.string().nullable(),
      lastCommitAt: timestamp.nullable(),
      updatedAt: timestamp,
    })
    .nullable()
    .optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const connectionList = z.object({ connections: z.array(connectionView) });
export const authorizeAnswer = z.object({ authorizeUrl: z.string(), expiresAt: timestamp });
export const callbackAnswer = z.object({ created: z.boolean(), connection: connectionView });

export const fieldsAnswer = z.object({
  object: z.enum(['Account', 'Contact']),
  fields: z.array(
    z.object({
      name: z.string(),
      label: z.string(),
      type: z.string(),
      length: z.number(),
      precision: z.number(),
      scale: z.number(),
      nillable: z.boolean(),
      createable: z.boolean(),
      updateable: z.boolean(),
      unique: z.boolean(),
      externalId: z.boolean(),
      picklistValues: z.array(z.string()),
      restrictedPicklist: z.boolean(),
      mappable: z.boolean(),
      accepts: z.array(journyType),
      canServeAsAccountId: z.boolean().optional(),
    }),
  ),
});

export const importIdParams = z.object({ connectionId: connectionIdParam, importId: z.string().min(1).max(64) });

const counts = z.object({ read: z.number().int(), published: z.number().int(), skipped: z.number().int(), failed: z.number().int() });

export const importView = z.object({
  id: z.string(),
  connectionId: z.string(),
  state: z.enum(['PENDING', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  phase: z.enum(['ACCOUNTS', 'CONTACTS', 'RELATIONSHIPS', 'DONE']).nullable(),
  counts: z.object({ Account: counts, Contact: counts, AccountContactRelation: counts }),
  errors: z.array(z.object({ at: timestamp, code: z.string(), message: z.string() })),
  requestedBy: z.string(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const importList = z.object({ imports: z.array(importView) });
