import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { REGISTRATION_STATES, parseOrThrow, type Actor, type Page, type PageRequest, type SecretValue } from '#domain';
import {
  AuditRepository,
  HealthSystemKeyRepository,
  HealthSystemRepository,
  SiteRegistrationRepository,
  type HealthSystemKey,
  type SiteRegistration,
} from '#persistence';
import { generateApiKey, parseApiKey, secretMatches } from './api-key-token.js';

export const issueHealthSystemKeySchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

export const siteRegistrationFilterSchema = z.strictObject({
  state: z.enum(REGISTRATION_STATES).optional(),
  tenantId: z.uuid().optional(),
  appId: z.uuid().optional(),
});

/** A health system's administrator, as authenticated: everything it sees is scoped by `healthSystemId`. */
export interface HealthSystemPrincipal {
  healthSystemId: string;
  keyId: string;
}

const OPERATOR: Actor = { type: 'operator' };
const TOUCH_INTERVAL_MS = 60_000;
/** Compared when the key id is unknown, so an unknown id costs what a wrong secret costs. */
const UNKNOWN_KEY_HASH = 'f'.repeat(64);

/**
 * Health-system administrator keys: the operator issues one for a site; with it, the site's
 * administrators see what is registered with them and manage their own webhook endpoints.
 */
@Injectable()
export class HealthSystemKeysService {
  constructor(
    private readonly keys: HealthSystemKeyRepository,
    private readonly healthSystems: HealthSystemRepository,
    private readonly siteRegistrations: SiteRegistrationRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** The token is returned once, here; only its hash is kept. */
  async issue(healthSystemId: string, input: unknown): Promise<{ key: HealthSystemKey; token: SecretValue }> {
    const { name } = parseOrThrow(issueHealthSystemKeySchema, input, 'health system key');
    await this.healthSystems.findById(healthSystemId);
    const generated = generateApiKey('health_system');
    const key = await this.keys.create({ id: generated.id, healthSystemId, name, secretHash: generated.secretHash });
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId,
      action: 'health_system_key.issued',
      outcome: 'success',
      details: { keyId: key.id },
    });
    return { key, token: generated.token };
  }

  async list(healthSystemId: string, page: PageRequest): Promise<Page<HealthSystemKey>> {
    await this.healthSystems.findById(healthSystemId);
    return this.keys.list(healthSystemId, page);
  }

  async revoke(healthSystemId: string, keyId: string): Promise<HealthSystemKey> {
    const key = await this.keys.revoke(healthSystemId, keyId);
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId,
      action: 'health_system_key.revoked',
      outcome: 'success',
      details: { keyId },
    });
    return key;
  }

  /** The key id a presented token names (whether or not it exists), or null when it is not shaped like one. */
  keyIdOf(token: string): string | null {
    return parseApiKey(token, 'health_system')?.id ?? null;
  }

  /** The principal for a presented token, or null for any reason (unknown, wrong secret, revoked, site deleted). */
  async authenticate(token: string): Promise<HealthSystemPrincipal | null> {
    const parsed = parseApiKey(token, 'health_system');
    if (!parsed) return null;
    const record = await this.keys.findForAuthentication(parsed.id);
    const matches = secretMatches(parsed.secret, record?.secretHash ?? UNKNOWN_KEY_HASH);
    if (!record || !matches || record.key.revokedAt || record.healthSystemDeleted) return null;
    const now = new Date();
    if (!record.key.lastUsedAt || now.getTime() - record.key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.keys.touch(record.key.id, now);
    }
    return { healthSystemId: record.key.healthSystemId, keyId: record.key.id };
  }

  /** What is registered at the caller's site, newest first, across tenants. */
  registrations(healthSystemId: string, query: unknown, page: PageRequest): Promise<Page<SiteRegistration>> {
    const filter = parseOrThrow(siteRegistrationFilterSchema, query, 'registration filter', 'query');
    return this.siteRegistrations.list(healthSystemId, filter, page);
  }
}
