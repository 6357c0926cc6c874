import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  SECRET_STORE,
  SecretValue,
  ValidationError,
  parseOrThrow,
  type HealthSystem,
  type Page,
  type PageRequest,
  type SecretRef,
  type SecretStore,
} from '#domain';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { AuditRepository, HealthSystemRepository } from '#persistence';
import { REDIS, RegistrationJobs, SiteConcurrencyLimits } from '#queue';
import type { Redis } from 'ioredis';
import { secretNames } from '#secrets';
import { createHealthSystemSchema, updateHealthSystemSchema } from './health-system-input.js';

const OPERATOR = { type: 'operator' } as const;

/** The operator's directory of health systems. */
@Injectable()
export class HealthSystemsService {
  constructor(
    private readonly healthSystems: HealthSystemRepository,
    private readonly audit: AuditRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    private readonly jobs: RegistrationJobs,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The workers read per-site limits from Redis in their acquire script. */
  private applySiteConcurrency(id: string, limit: number | null): Promise<void> {
    return new SiteConcurrencyLimits(this.redis, this.config.redis.queuePrefix).set(id, limit);
  }

  async create(input: unknown): Promise<HealthSystem> {
    const data = parseOrThrow(createHealthSystemSchema, input, 'health system');
    this.assertSchemeAllowed(data.fhirBaseUrl);
    const id = randomUUID();
    const initialAccessToken = data.initialAccessToken ? await this.storeToken(id, data.initialAccessToken) : null;
    const healthSystem = await this.healthSystems.create({ ...data, id, initialAccessToken });
    if (data.siteConcurrency !== null) await this.applySiteConcurrency(id, data.siteConcurrency);
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId: id,
      action: 'health_system.created',
      outcome: 'success',
    });
    await this.jobs.enqueueDiscover(id);
    return healthSystem;
  }

  list(page: PageRequest): Promise<Page<HealthSystem>> {
    return this.healthSystems.list(page);
  }

  get(id: string): Promise<HealthSystem> {
    return this.healthSystems.findById(id);
  }

  /** Whether each site's registrations answered with RFC 7592 management (absent: none answered yet). */
  managementSupport(ids: string[]): Promise<Map<string, boolean>> {
    return this.healthSystems.managementSupport(ids);
  }

  /** Sites' names by id (deleted sites included), for lists that name the site of each row. */
  namesOf(ids: string[]): Promise<Map<string, string>> {
    return this.healthSystems.namesOf(ids);
  }

  async update(id: string, input: unknown): Promise<HealthSystem> {
    const { initialAccessToken: token, ...changes } = parseOrThrow(updateHealthSystemSchema, input, 'health system');
    if (changes.fhirBaseUrl) this.assertSchemeAllowed(changes.fhirBaseUrl);
    await this.healthSystems.findById(id);
    let initialAccessToken: SecretRef | null | undefined;
    if (token === null) {
      await this.secrets.delete(secretNames.initialAccessToken(id));
      initialAccessToken = null;
    } else if (token !== undefined) {
      initialAccessToken = await this.storeToken(id, token);
    }
    const healthSystem = await this.healthSystems.update(id, { ...changes, initialAccessToken });
    if (changes.siteConcurrency !== undefined) await this.applySiteConcurrency(id, changes.siteConcurrency);
    if (changes.fhirBaseUrl) await this.jobs.enqueueDiscover(id);
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId: id,
      action: 'health_system.updated',
      outcome: 'success',
      details: { fields: Object.keys(input as object) },
    });
    return healthSystem;
  }

  async delete(id: string): Promise<void> {
    const healthSystem = await this.healthSystems.findById(id);
    await this.healthSystems.softDelete(id);
    if (healthSystem.initialAccessToken) await this.secrets.delete(healthSystem.initialAccessToken.name);
    await this.audit.record({
      actor: OPERATOR,
      healthSystemId: id,
      action: 'health_system.deleted',
      outcome: 'success',
    });
  }

  private storeToken(healthSystemId: string, token: string): Promise<SecretRef> {
    return this.secrets.put(secretNames.initialAccessToken(healthSystemId), new SecretValue(token), {
      requestToken: randomUUID(),
      tags: { 'broker:kind': 'initial-access-token', 'broker:health-system': healthSystemId },
    });
  }

  /** Plain http only for hosts the operator allowed for development (OUTBOUND_ALLOWED_HOSTS). */
  private assertSchemeAllowed(fhirBaseUrl: string): void {
    const url = new URL(fhirBaseUrl);
    const allowed = this.config.outbound.allowedHosts;
    if (url.protocol === 'http:' && !allowed.includes(url.host) && !allowed.includes(url.hostname)) {
      throw new ValidationError('health system is invalid', [
        { path: 'fhirBaseUrl', message: 'must use https (http only for hosts in OUTBOUND_ALLOWED_HOSTS)' },
      ]);
    }
  }
}
