import { Injectable, SetMetadata, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, ErrorCode, type ApiKeyScope, type TenantActor } from '#domain';
import { ApiKeyAuthenticator, type TenantPrincipal } from '#registration';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { bearerToken, clientAddress, refuseWhileLimited } from './bearer-token.js';

const SCOPES_KEY = 'broker:required-scopes';

/** The API key scopes a tenant route needs (all of them). */
export const RequireScopes = (...scopes: ApiKeyScope[]) => SetMetadata(SCOPES_KEY, scopes);

type AuthenticatedRequest = Request & { principal?: TenantPrincipal };

/** Tenant routes: a valid, unrevoked API key of an active tenant, with the route's scopes. */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly reflector: Reflector,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    const address = clientAddress(request);
    const keyId = token ? this.authenticator.keyIdOf(token) : null;
    await refuseWhileLimited(this.failures, address, keyId);
    const principal = token ? await this.authenticator.authenticate(token) : null;
    if (!principal) {
      await this.failures.recordFailure(address, keyId);
      throw new DomainError(ErrorCode.Unauthenticated, 'a valid API key is required');
    }
    const required =
      this.reflector.getAllAndOverride<ApiKeyScope[]>(SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length) {
      throw new DomainError(ErrorCode.Forbidden, `this API key lacks the scope ${missing.join(', ')}`, {
        requiredScopes: missing.join(' '),
      });
    }
    request.principal = principal;
    return true;
  }
}

/** The calling tenant key as an audit actor (`tenantId` scopes every query). */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantActor => {
  const { principal } = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!principal) throw new DomainError(ErrorCode.Unauthenticated, 'a valid API key is required');
  return { type: 'tenant_key', tenantId: principal.tenantId, keyId: principal.keyId };
});
