import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { DomainError, ErrorCode } from '#domain';
import { bearerToken } from './bearer-token.js';

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

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.matches = operatorTokenMatcher(config);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.matches(bearerToken(context.switchToHttp().getRequest<Request>()))) {
      throw new DomainError(ErrorCode.Unauthenticated, 'a valid operator token is required');
    }
    return true;
  }
}
