import { Injectable, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, ErrorCode, type HealthSystemActor } from '#domain';
import { HealthSystemKeysService, type HealthSystemPrincipal } from '#registration';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { bearerToken, clientAddress, refuseWhileLimited } from './bearer-token.js';

type AuthenticatedRequest = Request & { site?: HealthSystemPrincipal };

/**
 * Health-system administrator routes: a valid, unrevoked `srbh_` key of a health system still
 * in the directory. The key's health system scopes every query: nothing of another site exists.
 */
@Injectable()
export class HealthSystemGuard implements CanActivate {
  constructor(
    private readonly keys: HealthSystemKeysService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request);
    const address = clientAddress(request);
    const keyId = token ? this.keys.keyIdOf(token) : null;
    await refuseWhileLimited(this.failures, address, keyId);
    const principal = token ? await this.keys.authenticate(token) : null;
    if (!principal) {
      await this.failures.recordFailure(address, keyId);
      throw new DomainError(ErrorCode.Unauthenticated, 'a valid health-system administrator key is required');
    }
    request.site = principal;
    return true;
  }
}

/** The calling health-system key as an audit actor (`healthSystemId` scopes every query). */
export const CurrentSite = createParamDecorator((_data: unknown, context: ExecutionContext): HealthSystemActor => {
  const { site } = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!site) throw new DomainError(ErrorCode.Unauthenticated, 'a valid health-system administrator key is required');
  return { type: 'health_system_key', healthSystemId: site.healthSystemId, keyId: site.keyId };
});
