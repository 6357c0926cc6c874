import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import {
  DomainError,
  ErrorCode,
  REGISTRATION_STATES,
  SECRET_STORE,
  parseOrThrow,
  type HealthSystem,
  type Page,
  type PageRequest,
  type Registration,
  type SecretStore,
  type TenantActor,
} from '#domain';
import {
  AuditRepository,
  DiscoveryCacheRepository,
  HealthSystemRepository,
  RegistrationAttemptRepository,
  RegistrationRepository,
  type RegistrationAttempt,
  type Transition,
} from '#persistence';
import type { SmartServerDescription } from '#smart-client';
import { openCredential } from '../credentials/registration-credential.js';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';
import type { TenantId } from '#domain';

export const registrationFilterSchema = z.strictObject({
  appId: z.uuid().optional(),
  healthSystemId: z.uuid().optional(),
  onboardingId: z.uuid().optional(),
  state: z.enum(REGISTRATION_STATES).optional(),
});

/** How many of the newest history entries and attempts a registration's detail shows inline. */
export const RECENT_ENTRIES = 50;

export interface RegistrationDetail {
  registration: Registration;
  healthSystem: HealthSystem;
  endpoints: Partial<Record<string, string>>;
  /** The newest `RECENT_ENTRIES`, oldest first; `historyOlderCursor` pages on (`historyPage`). */
  history: Transition[];
  historyOlderCursor: string | null;
  attempts: RegistrationAttempt[];
  attemptsOlderCursor: string | null;
}

/** What a tenant app needs to use its client at one site. Returned only by the audited credential read. */
export interface ClientCredentials {
  registrationId: string;
  clientId: string;
  clientSecret: string | null;
  clientSecretExpiresAt: Date | null;
  tokenEndpoint: string | null;
  fhirBaseUrl: string;
  /** For apps whose keys the broker manages: the active private key to sign client assertions with. */
  signingKey: { kid: string; alg: string; privateJwk: Record<string, unknown> } | null;
}

/** Tenant reads of registrations; every method is scoped by the caller's tenant. */
@Injectable()
export class RegistrationsService {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly attempts: RegistrationAttemptRepository,
    private readonly healthSystems: HealthSystemRepository,
    private readonly discoveryCache: DiscoveryCacheRepository,
    private readonly audit: AuditRepository,
    private readonly managedKeys: ManagedKeysService,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
  ) {}

  list(tenantId: TenantId, query: unknown, page: PageRequest): Promise<Page<Registration>> {
    const filter = parseOrThrow(registrationFilterSchema, query, 'registration filter', 'query');
    return this.registrations.list(tenantId, filter, page);
  }

  async detail(tenantId: TenantId, id: string): Promise<RegistrationDetail> {
    // Row, history and attempts from one snapshot: never a new state beside an old history.
    const { registration, history, attempts } = await this.registrations.snapshot(tenantId, id, RECENT_ENTRIES);
    const [healthSystem, description] = await Promise.all([
      this.healthSystems.findById(registration.healthSystemId),
      this.discoveryCache.lastKnown(registration.healthSystemId) as Promise<SmartServerDescription | undefined>,
    ]);
    const endpoints = Object.fromEntries(
      Object.entries(description?.endpoints ?? {}).map(([name, sourced]) => [name, sourced?.value]),
    );
    return {
      registration,
      healthSystem,
      endpoints,
      history: history.items,
      historyOlderCursor: history.olderCursor,
      attempts: attempts.items as RegistrationAttempt[],
      attemptsOlderCursor: attempts.olderCursor,
    };
  }

  /** A registration's history, newest first, a page at a time. */
  historyPage(tenantId: TenantId, id: string, page: PageRequest): Promise<Page<Transition>> {
    return this.registrations.historyPage(tenantId, id, page);
  }

  /** A registration's attempts, newest first, a page at a time. */
  async attemptsPage(tenantId: TenantId, id: string, page: PageRequest): Promise<Page<RegistrationAttempt>> {
    return (await this.registrations.attemptsPage(tenantId, id, page)) as Page<RegistrationAttempt>;
  }

  /** The one place a client secret leaves the broker: needs `credentials:read`, and is audited either way. */
  async readCredentials(actor: TenantActor, id: string): Promise<ClientCredentials> {
    const registration = await this.registrations.findById(actor.tenantId, id);
    const auditBase = {
      actor,
      tenantId: actor.tenantId,
      appId: registration.appId,
      healthSystemId: registration.healthSystemId,
      registrationId: id,
      action: 'credential.read',
    };
    const stored = registration.credential
      ? await this.secrets.get(registration.credential.name, { versionId: registration.credential.versionId })
      : null;
    if (!stored || registration.state === 'deleted') {
      await this.audit.record({ ...auditBase, outcome: 'failure', details: { reason: 'no credential' } });
      throw new DomainError(ErrorCode.Conflict, `registration ${id} has no credential (state ${registration.state})`);
    }
    const credential = openCredential(stored.value);
    const healthSystem = await this.healthSystems.findById(registration.healthSystemId);
    const description = (await this.discoveryCache.lastKnown(registration.healthSystemId)) as
      SmartServerDescription | undefined;
    const signingKey = await this.managedKeys.activePrivateKey(actor.tenantId, registration.appId);
    await this.audit.record({
      ...auditBase,
      outcome: 'success',
      details: { clientId: credential.clientId, signingKeyKid: signingKey?.kid ?? null },
    });
    return {
      registrationId: id,
      clientId: credential.clientId,
      clientSecret: credential.clientSecret?.reveal() ?? null,
      clientSecretExpiresAt: registration.clientSecretExpiresAt,
      tokenEndpoint: description?.endpoints.token?.value ?? null,
      fhirBaseUrl: healthSystem.fhirBaseUrl,
      signingKey: signingKey
        ? { kid: signingKey.kid, alg: signingKey.alg, privateJwk: JSON.parse(signingKey.privateJwk.reveal()) }
        : null,
    };
  }
}
