import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import {
  API_KEY_SCOPES,
  parseOrThrow,
  type Actor,
  type ApiKey,
  type ApiKeyScope,
  type Page,
  type PageRequest,
  type SecretValue,
  type Tenant,
} from '#domain';
import { ApiKeyRepository, AuditRepository, TenantRepository } from '#persistence';
import { generateApiKey } from './api-key-token.js';
import { LifecycleRequests } from '../lifecycle/lifecycle-requests.service.js';
import { trustedTenantId, type TenantId } from '#domain';

export const createTenantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const issueApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
});

const OPERATOR: Actor = { type: 'operator' };

/** Operator use cases: tenants and their API keys. */
@Injectable()
export class TenancyService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly audit: AuditRepository,
    private readonly lifecycle: LifecycleRequests,
  ) {}

  async createTenant(input: unknown): Promise<Tenant> {
    const { name } = parseOrThrow(createTenantSchema, input, 'tenant');
    const tenant = await this.tenants.create(name);
    await this.audit.record({ actor: OPERATOR, tenantId: tenant.id, action: 'tenant.created', outcome: 'success' });
    return tenant;
  }

  listTenants(page: PageRequest): Promise<Page<Tenant>> {
    return this.tenants.list(page);
  }

  getTenant(id: string): Promise<Tenant> {
    return this.tenants.findById(id);
  }

  /** Operator only: the operator may name any tenant, so the id from its path is trusted. */
  async disableTenant(tenantId: string): Promise<Tenant> {
    const id = trustedTenantId(tenantId);
    const tenant = await this.tenants.disable(id);
    await this.audit.record({ actor: OPERATOR, tenantId: id, action: 'tenant.disabled', outcome: 'success' });
    // A tenant that leaves leaves nothing behind: every client at every site is deleted.
    await this.lifecycle.offboardTenant(id);
    return tenant;
  }

  /** The token is returned once, here; only its hash is kept. */
  async issueApiKey(tenantId: TenantId, input: unknown): Promise<{ key: ApiKey; token: SecretValue }> {
    const { name, scopes } = parseOrThrow(issueApiKeySchema, input, 'api key');
    await this.tenants.findById(tenantId);
    const generated = generateApiKey();
    const key = await this.apiKeys.create(tenantId, {
      id: generated.id,
      name,
      scopes: [...new Set(scopes)] as ApiKeyScope[],
      secretHash: generated.secretHash,
    });
    await this.audit.record({
      actor: OPERATOR,
      tenantId,
      action: 'api_key.issued',
      outcome: 'success',
      details: { keyId: key.id, scopes: key.scopes },
    });
    return { key, token: generated.token };
  }

  async listApiKeys(tenantId: TenantId, page: PageRequest): Promise<Page<ApiKey>> {
    await this.tenants.findById(tenantId);
    return this.apiKeys.list(tenantId, page);
  }

  async revokeApiKey(tenantId: TenantId, keyId: string): Promise<ApiKey> {
    const key = await this.apiKeys.revoke(tenantId, keyId);
    await this.audit.record({
      actor: OPERATOR,
      tenantId,
      action: 'api_key.revoked',
      outcome: 'success',
      details: { keyId },
    });
    return key;
  }
}
