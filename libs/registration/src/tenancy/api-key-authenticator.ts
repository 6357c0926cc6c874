import { Injectable } from '@nestjs/common';
import type { ApiKeyScope, TenantId } from '#domain';
import { ApiKeyRepository } from '#persistence';
import { parseApiKey, secretMatches } from './api-key-token.js';

export interface TenantPrincipal {
  tenantId: TenantId;
  keyId: string;
  scopes: ApiKeyScope[];
}

/** How often `lastUsedAt` is written: per request would turn every read into a write. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Compared with the presented secret when the key id is unknown, so an unknown id costs the
 * same hash and comparison as a known id with a wrong secret (no timing oracle for valid ids).
 */
const UNKNOWN_KEY_HASH = 'f'.repeat(64);

@Injectable()
export class ApiKeyAuthenticator {
  constructor(private readonly apiKeys: ApiKeyRepository) {}

  /** The key id a presented token names (whether or not it exists), or null when it is not shaped like a key. */
  keyIdOf(token: string): string | null {
    return parseApiKey(token)?.id ?? null;
  }

  /** The principal for a presented token, or null for any reason (unknown, wrong secret, revoked, tenant disabled). */
  async authenticate(token: string): Promise<TenantPrincipal | null> {
    const parsed = parseApiKey(token);
    if (!parsed) return null;
    const record = await this.apiKeys.findForAuthentication(parsed.id);
    const matches = secretMatches(parsed.secret, record?.secretHash ?? UNKNOWN_KEY_HASH);
    if (!record || !matches) return null;
    if (record.key.revokedAt || record.tenantStatus !== 'active') return null;
    const now = new Date();
    if (!record.key.lastUsedAt || now.getTime() - record.key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.apiKeys.touch(record.key.id, now);
    }
    return { tenantId: record.key.tenantId, keyId: record.key.id, scopes: record.key.scopes };
  }
}
