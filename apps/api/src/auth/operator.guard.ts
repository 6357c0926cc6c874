import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { DomainError, ErrorCode } from '#domain';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { bearerToken, clientAddress, refuseWhileLimited } from './bearer-token.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares a presented token with the operator token in constant time (over digests, so lengths leak nothing). */
export function operatorTokenMatcher(config: BrokerConfig): (presented: string | null) => boolean {
  const expected = digest(config.operatorToken);
  return (presented) => presented !== null && presented !== '' && timingSafeEqual(digest(presented), expected);
}

/** Operator routes: the configured operator token as a Bearer token. */
@Injectable()
export class OperatorGuard implements CanActivate {
  private readonly matches: (presented: string | null) => boolean;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    private readonly failures: AuthFailureLimiter,
  ) {
    this.matches = operatorTokenMatcher(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const address = clientAddress(request);
    await refuseWhileLimited(this.failures, address, null);
    if (!this.matches(bearerToken(request))) {
      await this.failures.recordFailure(address, null);
      throw new DomainError(ErrorCode.Unauthenticated, 'a valid operator token is required');
    }
    return true;
  }
}
