import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { DomainError, ErrorCode } from '#domain';
import { bearerToken } from './bearer-token.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Operator routes: the configured operator token, compared in constant time (over digests, so lengths leak nothing). */
@Injectable()
export class OperatorGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.expected = digest(config.operatorToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<Request>());
    if (!token || !timingSafeEqual(digest(token), this.expected)) {
      throw new DomainError(ErrorCode.Unauthenticated, 'a valid operator token is required');
    }
    return true;
  }
}
