import { z } from 'zod';
import * as c from '../connections/connections.schemas';
import * as l from '../logs/logs.schemas';
import { errorBody } from './error.schema';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Answer {
  description: string;
  schema?: z.ZodType;
  /** Not JSON (a redirect, the metrics text). */
  contentType?: string;
}

/** One route of the API, as the controllers serve it: its inputs are the schemas they validate with. */
export interface ApiRoute {
  method: Method;
  /** OpenAPI path, `{param}` for path parameters. */
  path: string;
  summary: string;
  /** Callable without a journy token. */
  public?: true;
  /** Needs connector:write (every other authenticated route needs connector:read). */
  write?: true;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The query is one record named by exactly one of its parameters: an exploded object parameter of that name. */
  queryNamesOne?: string;
  body?: z.ZodType;
  answers: Record<number, Answer>;
  /** Error statuses it can answer, in the error shape. */
  errors: number[];
}

const connection = z.object({ connectionId: c.connectionIdParam });
const health = z.object({ status: z.enum(['up', 'down']), checks: z.record(z.string(), z.object({ status: z.enum(['up', 'down']), details: z.record(z.string(), z.unknown()).optional() })) });
/** What every authenticated route can answer; a route with a body adds 400, 408, 413 and 415. */
const AUTH = [401, 403, 429];
const BODY = [400, 408, 413, 415];

export const API_ROUTES: ApiRoute[] = [
  { method: 'get', path: '/v1/connections', summary: "The project's connections, each with its API usage", answers: { 200: { description: 'connections', schema: c.connectionList } }, errors: AUTH },
  {
    method: 'post', path: '/v1/connections/salesforce/authorize', summary: 'Start connecting an org: returns the Salesforce authorize URL', write: true, body: c.authorizeBody,
    answers: { 200: { description: 'where to send the person, and until when', schema: c.authorizeAnswer } }, errors: [...AUTH, ...BODY],
  },
  {
    method: 'get', path: '/v1/oauth/salesforce/callback', summary: 'Where Salesforce returns after consent; creates or updates the connection', public: true, query: c.callbackQuery,
    answers: { 200: { description: 'created, and the connection', schema: c.callbackAnswer }, 302: { description: 'back to the returnUrl with connectionId and status, or error and message' } },
    errors: [400, 409, 429, 502],
  },
  { method: 'get', path: '/v1/connections/{connectionId}', summary: 'One connection (never its credentials), with its API usage', params: connection, answers: { 200: { description: 'the connection', schema: c.connectionView } }, errors: [...AUTH, 404] },
  {
    method: 'patch', path: '/v1/connections/{connectionId}', summary: 'Change settings: connection, source, destination (validated against the org); a patch that changes nothing changes no revision', write: true,
    params: connection, body: c.settingsPatch, answers: { 200: { description: 'the connection', schema: c.connectionView } }, errors: [...AUTH, ...BODY, 404, 409, 502],
  },
  {
    method: 'delete', path: '/v1/connections/{connectionId}', summary: 'Disconnect: revoke at Salesforce, delete, stop syncing (logs kept until retention)', write: true, params: connection,
    answers: { 204: { description: 'disconnected' } }, errors: [...AUTH, 404],
  },
  {
    method: 'get', path: '/v1/connections/{connectionId}/salesforce/objects/{object}/fields', summary: 'Field discovery: types, flags, what each field accepts', params: c.fieldsParams, query: c.fieldsQuery,
    answers: { 200: { description: "the object's fields", schema: c.fieldsAnswer } }, errors: [...AUTH, 400, 404, 409, 502],
  },
  { method: 'get', path: '/v1/connections/{connectionId}/imports', summary: 'Initial imports, newest first', params: connection, answers: { 200: { description: 'imports', schema: c.importList } }, errors: [...AUTH, 404] },
  {
    method: 'post', path: '/v1/connections/{connectionId}/imports', summary: 'Start the initial import (one at a time)', write: true, params: connection,
    answers: { 201: { description: 'the import', schema: c.importView } }, errors: [...AUTH, 404, 409, 415],
  },
  { method: 'get', path: '/v1/connections/{connectionId}/imports/{importId}', summary: 'Progress of an import: phase, counts per object, errors', params: c.importIdParams, answers: { 200: { description: 'the import', schema: c.importView } }, errors: [...AUTH, 404] },
  {
    method: 'post', path: '/v1/connections/{connectionId}/imports/{importId}/cancel', summary: 'Cancel an import', write: true, params: c.importIdParams,
    answers: { 200: { description: 'the import', schema: c.importView } }, errors: [...AUTH, 404, 415],
  },
  {
    method: 'get', path: '/v1/connections/{connectionId}/logs', summary: 'The sync log, newest first, filtered, paginated', params: l.logsParams, query: l.logQuery,
    answers: { 200: { description: 'a page of entries, and the cursor of the next one', schema: l.logPage } }, errors: [...AUTH, 400, 404],
  },
  {
    method: 'get', path: '/v1/connections/{connectionId}/logs/timeline', summary: "One record's timeline across both directions, oldest first", params: l.logsParams, query: l.timelineQuery, queryNamesOne: 'record',
    answers: { 200: { description: 'the record, and its entries', schema: l.timelineAnswer } }, errors: [...AUTH, 400, 404],
  },
  { method: 'get', path: '/health', summary: 'Each dependency checked now', public: true, answers: { 200: { description: 'up', schema: health }, 503: { description: 'down, with which and why', schema: health } }, errors: [] },
  { method: 'get', path: '/health/live', summary: 'The process answers', public: true, answers: { 200: { description: 'alive', schema: z.object({ status: z.literal('up') }) } }, errors: [] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', public: true, answers: { 200: { description: 'text exposition format', contentType: 'text/plain' } }, errors: [] },
  { method: 'get', path: '/openapi.json', summary: 'This document', public: true, answers: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) } }, errors: [] },
];

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid request (the field is named)', 401: 'no valid journy token', 403: 'the token lacks the scope', 404: 'not found for this tenant', 408: 'the body did not arrive in time',
  409: 'conflict (a stale revision, an import already running, a connection to reconnect)', 413: 'body too large', 415: 'the body is not JSON', 429: 'rate limited', 502: 'Salesforce failed or refused',
};

const requestSchema = (schema: z.ZodType) => textOnly(strip(z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' })));
const responseSchema = (schema: z.ZodType) => strip(z.toJSONSchema(schema, { io: 'output', target: 'draft-2020-12', unrepresentable: 'any' }));

function strip(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/**
 * Text the API takes (ZodPipe): no NUL, said as a pattern on every free string of a request (a lone surrogate is
 * not a Unicode string at all, which a JSON Schema string already is).
 */
const TEXT = '^[^\\x00]*$';

function textOnly(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (Array.isArray(value)) out[key] = value.map((v) => (v && typeof v === 'object' ? textOnly(v as Record<string, unknown>) : v));
    else if (value && typeof value === 'object') out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, textOnly(v as Record<string, unknown>)])) : textOnly(value as Record<string, unknown>);
    else out[key] = value;
  }
  if (out.type === 'string' && out.pattern === undefined && out.enum === undefined && out.const === undefined) out.pattern = TEXT;
  return out;
}

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined, namesOne?: string): Record<string, unknown>[] {
  if (!schema) return [];
  if (namesOne) return [{ name: namesOne, in: where, required: true, style: 'form', explode: true, schema: { ...requestSchema(schema), minProperties: 1, maxProperties: 1 } }];
  const json = requestSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: property }));
}

function operation(route: ApiRoute): Record<string, unknown> {
  const answers = Object.fromEntries(
    Object.entries(route.answers).map(([status, answer]) => [
      status,
      answer.schema ? { description: answer.description, content: { [answer.contentType ?? 'application/json']: { schema: responseSchema(answer.schema) } } }
        : answer.contentType ? { description: answer.description, content: { [answer.contentType]: { schema: { type: 'string' } } } }
          : { description: answer.description },
    ]),
  );
  const errors = Object.fromEntries(route.errors.map((status) => [String(status), { description: STATUS_TEXT[status] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));
  return {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').split(/[/.-]/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('')}`,
    ...(route.public ? { security: [] } : { description: `Needs the ${route.write ? 'connector:write' : 'connector:read'} scope.` }),
    parameters: [...parameters('path', route.params), ...parameters('query', route.query, route.queryNamesOne)],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: requestSchema(route.body) } } } } : {}),
    responses: { ...answers, ...errors },
  };
}

/**
 * The API's OpenAPI 3.1 document, made of the route table and the schemas the controllers validate with; the
 * return URLs this deployment allows are written into the authorize body.
 */
export function openApiDocument(options: { returnUrlOrigins: string[] } = { returnUrlOrigins: [] }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) (paths[route.path] ??= {})[route.method] = operation(route);
  allowReturnUrls(paths['/v1/connections/salesforce/authorize'].post as Operation, options.returnUrlOrigins);
  return {
    openapi: '3.1.0',
    info: { title: 'journy.io Salesforce connector: settings and log API', version: '1.0.0' },
    components: {
      securitySchemes: { journyToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'signed by journy; claims tenant, scope ("connector:read connector:write")' } },
      schemas: { Error: responseSchema(errorBody) },
    },
    security: [{ journyToken: [] }],
    paths,
  };
}

type Variant = { properties: Record<string, Record<string, unknown>> };
type Operation = { requestBody: { content: { 'application/json': { schema: { oneOf?: Variant[]; anyOf?: Variant[] } } } } };

/** returnUrl: under one of the allowed origins; with none configured, the property is not accepted at all. */
function allowReturnUrls(authorize: Operation, origins: string[]): void {
  const body = authorize.requestBody.content['application/json'].schema;
  for (const variant of body.oneOf ?? body.anyOf ?? []) {
    if (origins.length === 0) delete variant.properties.returnUrl;
    else variant.properties.returnUrl = { type: 'string', maxLength: 2048, pattern: `^(?:${origins.map((o) => o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?:[/?#][^\\x00]*)?$` };
  }
}

/** The methods a path of the route table answers (for 405 and its Allow header), or null for a path it does not have. */
export function allowedMethods(path: string): string[] | null {
  const methods = API_ROUTES.filter((route) => pathPattern(route.path).test(path)).map((route) => route.method.toUpperCase());
  if (methods.length === 0) return null;
  if (methods.includes('GET')) methods.push('HEAD');
  return [...new Set([...methods, 'OPTIONS'])];
}

const patterns = new Map<string, RegExp>();
function pathPattern(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    patterns.set(path, pattern);
  }
  return pattern;
}
