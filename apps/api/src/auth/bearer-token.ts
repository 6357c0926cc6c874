import type { Request } from 'express';
import { TooManyRequestsError } from '../http/too-many-requests.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

/** The address authentication failures are counted against (the socket's peer; see README on proxies). */
export function clientAddress(request: Request): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}

/** 429 with Retry-After while the address or the key id has used up its authentication failures. */
export async function refuseWhileLimited(
  failures: AuthFailureLimiter,
  address: string,
  keyId: string | null,
): Promise<void> {
  const retryAfter = await failures.retryAfterSeconds(address, keyId);
  if (retryAfter > 0) {
    throw new TooManyRequestsError(
      `too many failed authentication attempts from this address or for this key; retry in ${retryAfter} s`,
      retryAfter,
    );
  }
}
