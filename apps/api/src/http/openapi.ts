import { z } from 'zod';
import { settingsPatch } from '../connections/settings.service';

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'errorId'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, errorId: { type: 'string', format: 'uuid' }, field: { type: 'string' }, details: {} },
    },
  },
};

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: `error (${s})`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));

const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const connectionId = { name: 'connectionId', in: 'path', required: true, schema: { type: 'string', pattern: '^con_[0-9a-f]{24}$' } };
const query = (name: string, schema: Record<string, unknown>, description?: string) => ({ name, in: 'query', required: false, schema, ...(description ? { description } : {}) });

/** The API's OpenAPI 3.1 document; request bodies come from the same zod schemas that validate them. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'journy.io Salesforce connector: settings and log API', version: '1.0.0' },
    components: {
      securitySchemes: { journyToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'signed by journy; claims tenant, scope ("connector:read connector:write")' } },
      schemas: { Error: error, SettingsPatch: z.toJSONSchema(settingsPatch) },
    },
    security: [{ journyToken: [] }],
    paths: {
      '/v1/connections': { get: { summary: "The project's connections", responses: { 200: json('connections'), ...errors(401, 403, 429) } } },
      '/v1/connections/salesforce/authorize': {
        post: {
          summary: 'Start connecting an org: returns the Salesforce authorize URL',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['environment'], additionalProperties: false, properties: { environment: { enum: ['production', 'sandbox', 'custom'] }, myDomainUrl: { type: 'string', format: 'uri' }, returnUrl: { type: 'string', format: 'uri', description: 'an allowed origin of the web app to send the person back to' } } } } } },
          responses: { 200: json('authorizeUrl and expiresAt'), ...errors(400, 401, 403, 429) },
        },
      },
      '/v1/oauth/salesforce/callback': {
        get: {
          summary: 'Where Salesforce returns after consent; creates or updates the connection',
          security: [],
          parameters: [query('code', { type: 'string' }), query('state', { type: 'string' }), query('error', { type: 'string' }), query('error_description', { type: 'string' })],
          responses: { 200: json('created and the connection'), 302: { description: 'back to the returnUrl with connectionId and status, or error and message' }, ...errors(400, 502) },
        },
      },
      '/v1/connections/{connectionId}': {
        parameters: [connectionId],
        get: { summary: 'One connection (never its credentials)', responses: { 200: json('connection'), ...errors(401, 403, 404, 429) } },
        patch: {
          summary: 'Change settings: connection, source, destination (validated against the org)',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SettingsPatch' } } } },
          responses: { 200: json('connection'), ...errors(400, 401, 403, 404, 409, 429) },
        },
        delete: { summary: 'Disconnect: revoke at Salesforce, delete, stop syncing (logs kept until retention)', responses: { 204: { description: 'disconnected' }, ...errors(401, 403, 404, 429) } },
      },
      '/v1/connections/{connectionId}/salesforce/objects/{object}/fields': {
        parameters: [connectionId, { name: 'object', in: 'path', required: true, schema: { enum: ['Account', 'Contact'] } }],
        get: { summary: 'Field discovery: types, flags, what each field accepts', parameters: [query('refresh', { enum: ['true', 'false'] }, 'read describe metadata again')], responses: { 200: json('fields'), ...errors(401, 403, 404, 409, 429) } },
      },
      '/v1/connections/{connectionId}/imports': {
        parameters: [connectionId],
        get: { summary: 'Initial imports, newest first', responses: { 200: json('imports'), ...errors(401, 403, 404, 429) } },
        post: { summary: 'Start the initial import (one at a time)', responses: { 201: json('import'), ...errors(401, 403, 404, 409, 429) } },
      },
      '/v1/connections/{connectionId}/imports/{importId}': {
        parameters: [connectionId, { name: 'importId', in: 'path', required: true, schema: { type: 'string' } }],
        get: { summary: 'Progress of an import: phase, counts per object, errors', responses: { 200: json('import'), ...errors(401, 403, 404, 429) } },
      },
      '/v1/connections/{connectionId}/imports/{importId}/cancel': {
        parameters: [connectionId, { name: 'importId', in: 'path', required: true, schema: { type: 'string' } }],
        post: { summary: 'Cancel an import', responses: { 200: json('import'), ...errors(401, 403, 404, 429) } },
      },
      '/v1/connections/{connectionId}/logs': {
        parameters: [connectionId],
        get: {
          summary: 'The sync log, newest first, filtered, paginated',
          parameters: [
            query('direction', { enum: ['SALESFORCE_TO_JOURNY', 'JOURNY_TO_SALESFORCE'] }),
            query('objectType', { enum: ['USER', 'ACCOUNT', 'MEMBERSHIP', 'OTHER'] }),
            query('operation', { type: 'string' }),
            query('status', { enum: ['SUCCEEDED', 'SKIPPED', 'FAILED', 'RETRYING'] }),
            query('from', { type: 'string', format: 'date-time' }),
            query('to', { type: 'string', format: 'date-time' }),
            query('userId', { type: 'string' }),
            query('email', { type: 'string' }),
            query('accountId', { type: 'string' }),
            query('domain', { type: 'string' }),
            query('salesforceId', { type: 'string' }),
            query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
            query('cursor', { type: 'string' }),
          ],
          responses: { 200: json('logs and nextCursor'), ...errors(400, 401, 403, 429) },
        },
      },
      '/v1/connections/{connectionId}/logs/timeline': {
        parameters: [connectionId],
        get: {
          summary: "One record's timeline across both directions",
          parameters: [query('userId', { type: 'string' }), query('email', { type: 'string' }), query('accountId', { type: 'string' }), query('domain', { type: 'string' }), query('salesforceId', { type: 'string' })],
          responses: { 200: json('record and entries'), ...errors(400, 401, 403, 429) },
        },
      },
      '/health': { get: { summary: 'Each dependency checked now', security: [], responses: { 200: json('up'), 503: json('down, with which and why') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'text exposition format' } } } },
    },
  };
}
