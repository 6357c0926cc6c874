import { Inject, Injectable, Logger } from '@nestjs/common';
import { RegistrationStates, type SystemActor } from '#domain';
import { ALL_TENANTS, AuditRepository, DiscoveryCacheRepository, HealthSystemRepository } from '#persistence';
import { LifecycleJob } from '#queue';
import type { CachedSmartDiscovery, EndpointName, SmartServerDescription } from '#smart-client';
import { SMART_DISCOVERY } from '../outbound/outbound.providers.js';
import { LifecycleSweeps } from './lifecycle-sweeps.js';

/** Endpoints whose change affects registered clients. */
const WATCHED_ENDPOINTS: readonly EndpointName[] = ['registration', 'token'];
/** Sites refreshed at once: discovery is a few small GETs per site. */
const PARALLEL = 8;

const SCHEDULER: SystemActor = { type: 'system', component: 'discovery-refresh' };

export interface EndpointChange {
  endpoint: EndpointName;
  before: string | null;
  after: string | null;
}

/**
 * Fetches every health system's discovery documents again (SMART configuration, OIDC / RFC 8414
 * metadata, CapabilityStatement) and replaces the cached description. A changed registration or
 * token endpoint is recorded (audit `health_system.endpoints_changed`) and every registration at
 * that site is verified again: its client may have moved with the server.
 */
@Injectable()
export class RefreshDiscoveryUseCase {
  private readonly logger = new Logger(RefreshDiscoveryUseCase.name);

  constructor(
    private readonly healthSystems: HealthSystemRepository,
    private readonly discoveryCache: DiscoveryCacheRepository,
    private readonly audit: AuditRepository,
    private readonly sweeps: LifecycleSweeps,
    @Inject(SMART_DISCOVERY) private readonly discovery: CachedSmartDiscovery,
  ) {}

  async execute(): Promise<{ sites: number; changed: number; unreachable: number }> {
    const ids = await this.healthSystems.allIds();
    let changed = 0;
    let unreachable = 0;
    for (let i = 0; i < ids.length; i += PARALLEL) {
      const outcomes = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => this.refresh(id)));
      changed += outcomes.filter((outcome) => outcome === 'changed').length;
      unreachable += outcomes.filter((outcome) => outcome === 'unreachable').length;
    }
    return { sites: ids.length, changed, unreachable };
  }

  async refresh(healthSystemId: string): Promise<'changed' | 'unchanged' | 'unreachable'> {
    const healthSystem = await this.healthSystems.findById(healthSystemId);
    const before = (await this.discoveryCache.lastKnown(healthSystemId)) as SmartServerDescription | undefined;
    let after: SmartServerDescription;
    try {
      after = await this.discovery.refresh(healthSystem.fhirBaseUrl);
    } catch (error) {
      // The last known description stays; registrations keep using it until the site answers.
      this.logger.warn({ healthSystemId, err: error }, 'discovery refresh failed');
      return 'unreachable';
    }
    if (!before) return 'unchanged';
    const changes = endpointChanges(before, after);
    if (!changes.length) return 'unchanged';
    await this.audit.record({
      actor: SCHEDULER,
      healthSystemId,
      action: 'health_system.endpoints_changed',
      outcome: 'success',
      details: { changes },
    });
    await this.sweeps.enqueueAll(
      LifecycleJob.Verify,
      { scope: ALL_TENANTS, states: [...RegistrationStates.startable], withCredential: true, healthSystemId },
      `discovery changed: ${changes.map((change) => change.endpoint).join(', ')} endpoint`,
    );
    return 'changed';
  }
}

export function endpointChanges(before: SmartServerDescription, after: SmartServerDescription): EndpointChange[] {
  return WATCHED_ENDPOINTS.flatMap((endpoint) => {
    const was = before.endpoints[endpoint]?.value ?? null;
    const is = after.endpoints[endpoint]?.value ?? null;
    return was === is ? [] : [{ endpoint, before: was, after: is }];
  });
}
