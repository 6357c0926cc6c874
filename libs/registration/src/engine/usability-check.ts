import { Inject, Injectable } from '@nestjs/common';
import type { HealthSystem, Registration } from '#domain';
import { HealthSystemRepository } from '#persistence';
import {
  requestClientCredentialsToken,
  type AssertionAlgorithm,
  type CachedSmartDiscovery,
  type ClientAuthentication,
  type SafeHttpClient,
} from '#smart-client';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';
import type { RegistrationCredential } from '../credentials/registration-credential.js';
import { SAFE_HTTP, SMART_DISCOVERY } from '../outbound/outbound.providers.js';
import { toRegistrationError, type RegistrationProblem } from './registration-errors.js';

export type Usability =
  | {
      status: 'usable';
      /** The scope asked for, and the scope the token answer says it grants (when it says). */
      requestedScope?: string;
      tokenScope?: string;
    }
  | { status: 'unusable'; problem: RegistrationProblem }
  | { status: 'not_tested'; why: string; inconclusive?: RegistrationProblem };

/**
 * Answers to a token request that say nothing about the credentials: the scope was refused
 * (`invalid_scope`), or a 403 (an empty body most often: a gateway's policy). The client
 * authenticated or was not even looked at; either way this is no proof that it is rejected.
 */
function isInconclusive(problem: RegistrationProblem): boolean {
  return problem.error === 'invalid_scope' || problem.error === 'insufficient_scope' || problem.httpStatus === 403;
}

/**
 * Proves a credential works with a real RFC 6749 §4.4 client credentials token request: the
 * only proof a server gives without a user. Secrets and broker-managed keys are tested; clients
 * without that grant, or signing with the tenant's own keys, are reported `not_tested` (and say why).
 */
@Injectable()
export class UsabilityCheck {
  constructor(
    private readonly healthSystems: HealthSystemRepository,
    private readonly managedKeys: ManagedKeysService,
    @Inject(SAFE_HTTP) private readonly http: SafeHttpClient,
    @Inject(SMART_DISCOVERY) private readonly discovery: CachedSmartDiscovery,
  ) {}

  /** `site`: the registration's health system when the caller read it already (one lookup fewer). */
  async check(
    registration: Registration,
    credential: RegistrationCredential,
    metadata: Readonly<Record<string, unknown>>,
    site?: Pick<HealthSystem, 'fhirBaseUrl' | 'discovery'>,
  ): Promise<Usability> {
    const grantTypes = Array.isArray(metadata.grant_types) ? metadata.grant_types : [];
    if (!grantTypes.includes('client_credentials')) {
      return { status: 'not_tested', why: 'no client_credentials grant: a token request would need a user' };
    }
    const method =
      typeof metadata.token_endpoint_auth_method === 'string'
        ? metadata.token_endpoint_auth_method
        : 'client_secret_basic';
    const auth = await this.authentication(registration, method, credential);
    if (!auth) {
      // private_key_jwt with the tenant's own keys: the broker holds no private key to sign with.
      return { status: 'not_tested', why: `${method}: the broker holds no key or secret to authenticate with` };
    }
    const healthSystem = site ?? (await this.healthSystems.findById(registration.healthSystemId));
    try {
      const description = await this.discovery.discover(healthSystem.fhirBaseUrl, healthSystem.discovery);
      const tokenEndpoint = description.endpoints.token?.value;
      if (!tokenEndpoint) return { status: 'not_tested', why: 'the site advertises no token endpoint' };
      const scope = scopeToAsk(
        metadata.scope,
        registration.grantedMetadata?.scope,
        registration.requestedMetadata.scope,
      );
      const token = await requestClientCredentialsToken(this.http, {
        tokenEndpoint,
        clientId: credential.clientId,
        auth,
        scope,
      });
      return { status: 'usable', requestedScope: scope, tokenScope: token.scope };
    } catch (error) {
      const problem = toRegistrationError(error);
      if (!problem.retryable && isInconclusive(problem)) {
        return {
          status: 'not_tested',
          why: `the site refused the scope asked for, not the credentials (${problem.error}${problem.httpStatus ? `, HTTP ${problem.httpStatus}` : ''}): inconclusive`,
          inconclusive: problem,
        };
      }
      return { status: 'unusable', problem };
    }
  }

  private async authentication(
    registration: Registration,
    method: string,
    credential: RegistrationCredential,
  ): Promise<ClientAuthentication | null> {
    if ((method === 'client_secret_basic' || method === 'client_secret_post') && credential.clientSecret) {
      return { method, secret: credential.clientSecret };
    }
    if (method !== 'private_key_jwt') return null;
    const key = await this.managedKeys.activePrivateKey(registration.tenantId, registration.appId);
    if (!key) return null;
    return {
      method,
      alg: key.alg as AssertionAlgorithm,
      kid: key.kid,
      privateJwk: JSON.parse(key.privateJwk.reveal()),
    };
  }
}

/** Scopes that need a user or a launch: a client credentials token can never carry them. */
const USER_BOUND = /^(openid|fhirUser|profile|offline_access|online_access|launch(\/.*)?|(patient|user)\/.*)$/;

/**
 * The scope a proof asks for: one the registration was granted (or, when no answer said, one it
 * requested), so a site that refuses everything else still answers about the credentials.
 * SMART backend services ask for `system/` scopes; other user-free scopes next; with none, no
 * scope at all (the server's default).
 */
export function scopeToAsk(...candidates: unknown[]): string | undefined {
  for (const candidate of candidates) {
    if (typeof candidate !== 'string' || candidate.trim() === '') continue;
    const tokens = candidate.trim().split(/\s+/);
    const system = tokens.filter((item) => item.startsWith('system/'));
    if (system.length) return system.join(' ');
    const userFree = tokens.filter((item) => !USER_BOUND.test(item));
    if (userFree.length) return userFree.join(' ');
  }
  return undefined;
}
