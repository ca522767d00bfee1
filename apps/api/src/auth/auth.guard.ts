import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { PUBLIC_ROUTE } from '@connector/observability';
import { InvalidTokenError, JwtVerifier, Principal, Scope } from './jwt-verifier';

const SCOPE_KEY = 'connector:required-scope';

/** The scope a route needs; every route needs at least connector:read unless it is @Public(). */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
/** Routes Salesforce or probes call without a journy token (OAuth callback, health, metrics). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return (context.switchToHttp().getRequest<Request & { principal: Principal }>()).principal;
});

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly verifier: JwtVerifier, private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match) throw new UnauthorizedException({ code: 'UNAUTHENTICATED', message: 'a bearer token is required' });
    let principal: Principal;
    try {
      principal = await this.verifier.verify(match[1]);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException({ code: 'INVALID_TOKEN', message: `invalid token: ${error.message}` });
      throw error;
    }
    const required = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets) ?? 'connector:read';
    if (!principal.scopes.has(required)) throw new ForbiddenException({ code: 'INSUFFICIENT_SCOPE', message: `this call needs the ${required} scope` });
    request.principal = principal;
    return true;
  }
}
