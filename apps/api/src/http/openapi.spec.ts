import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ObservabilityController, PUBLIC_ROUTE } from '@connector/observability';
import { HTTP_CONTROLLERS } from '../api.module';
import { API_ROUTES, allowedMethods, openApiDocument } from './openapi';

/** Every route the controllers serve, as `METHOD /path` with OpenAPI's `{param}`, and whether it is public. */
function servedRoutes(): Map<string, boolean> {
  const routes = new Map<string, boolean>();
  for (const controller of [...HTTP_CONTROLLERS, ObservabilityController]) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const classPublic = Reflect.getMetadata(PUBLIC_ROUTE, controller) === true;
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, object>)[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:([A-Za-z]+)/g, '{$1}');
      routes.set(`${RequestMethod[method]} ${full}`, classPublic || Reflect.getMetadata(PUBLIC_ROUTE, handler) === true);
    }
  }
  return routes;
}

describe('the OpenAPI document', () => {
  it('has every route the controllers serve, and no other, public exactly where the route is', () => {
    const served = servedRoutes();
    const documented = new Map(API_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.public === true]));
    expect([...documented.keys()].sort()).toEqual([...served.keys()].sort());
    for (const [route, isPublic] of served) expect({ route, public: documented.get(route) }).toEqual({ route, public: isPublic });
  });

  it('describes each answer with a schema and each error with the error shape', () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, answer] of Object.entries(operation.responses)) {
          if (status === '204' || status === '302') continue;
          expect({ at: `${method} ${path} ${status}`, schema: Object.values(answer.content ?? {})[0]?.schema !== undefined }).toEqual({ at: `${method} ${path} ${status}`, schema: true });
        }
      }
    }
  });

  it('takes request schemas from the validators: enums are enums, bodies are the settings schema', () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, { parameters: { name: string; schema: { enum?: string[] } }[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> } }>> };
    const logs = document.paths['/v1/connections/{connectionId}/logs'].get;
    expect(logs.parameters.find((p) => p.name === 'operation')?.schema.enum).toContain('UPSERT');
    const patch = document.paths['/v1/connections/{connectionId}'].patch.requestBody!.content['application/json'].schema;
    expect(Object.keys(patch.properties)).toEqual(expect.arrayContaining(['name', 'enabled', 'source', 'destination', 'accountExternalIdField', 'expectedRevision']));
    expect(patch.additionalProperties).toBe(false);
  });

  it('knows which methods a path answers', () => {
    expect(allowedMethods('/v1/connections/con_000000000000000000000000')).toEqual(['GET', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
    expect(allowedMethods('/v1/connections/salesforce/authorize')).toEqual(['POST', 'OPTIONS']);
    expect(allowedMethods('/nowhere')).toBeNull();
  });
});
