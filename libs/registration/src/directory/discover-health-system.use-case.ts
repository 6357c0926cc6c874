import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, HealthSystemRepository } from '#persistence';
import { RetryLaterError, backoffDelayMs } from '#queue';
import type { CachedSmartDiscovery } from '#smart-client';
import { SMART_DISCOVERY } from '../outbound/outbound.providers.js';
import { toRegistrationError } from '../engine/registration-errors.js';
import type { JobAttempt } from '#queue';
import { WORKER } from '../engine/first-registration-failure.js';

/**
 * Discovers a health system as soon as the operator adds it (or changes its FHIR base URL):
 * the operator learns at once whether the site can register clients, and onboardings find
 * the description cached on the row instead of discovering it once per registration.
 */
@Injectable()
export class DiscoverHealthSystemUseCase {
  constructor(
    private readonly healthSystems: HealthSystemRepository,
    private readonly audit: AuditRepository,
    @Inject(SMART_DISCOVERY) private readonly discovery: CachedSmartDiscovery,
  ) {}

  async execute(healthSystemId: string, attempt: JobAttempt): Promise<'discovered' | 'failed'> {
    const healthSystem = await this.healthSystems.findById(healthSystemId);
    try {
      const description = await this.discovery.refresh(healthSystem.fhirBaseUrl);
      await this.audit.record({
        actor: WORKER,
        healthSystemId,
        action: 'health_system.discovered',
        outcome: 'success',
        details: {
          registrationSupported: description.registrationSupported,
          sources: description.sources,
          warnings: description.warnings,
        },
      });
      return 'discovered';
    } catch (error) {
      const problem = toRegistrationError(error);
      await this.audit.record({
        actor: WORKER,
        healthSystemId,
        action: 'health_system.discovery_failed',
        outcome: 'failure',
        details: { error: problem.error, description: problem.error_description, httpStatus: problem.httpStatus },
      });
      await this.healthSystems.recordDiscoveryFailure(healthSystemId, {
        error: problem.error,
        description: problem.error_description ?? problem.error,
        at: new Date().toISOString(),
      });
      if (problem.retryable && !attempt.final) {
        throw new RetryLaterError(backoffDelayMs(attempt.number, problem.retryAfterMs), problem.error);
      }
      return 'failed';
    }
  }
}
