import { Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCode,
  ACTION_STATE,
  RegistrationStates,
  type App,
  type Registration,
  type TenantActor,
} from '#domain';
import { AuditRepository, RegistrationRepository } from '#persistence';
import { LifecycleJob, LifecycleJobs, type RegistrationAction } from '#queue';
import { LifecycleSweeps } from './lifecycle-sweeps.js';
import type { TenantId } from '#domain';

/**
 * Lifecycle actions asked for through the API (tenant or operator). Each only enqueues a job
 * (deduplicated per registration and action) and records who asked; the worker does the work.
 */
@Injectable()
export class LifecycleRequests {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly jobs: LifecycleJobs,
    private readonly sweeps: LifecycleSweeps,
    private readonly audit: AuditRepository,
  ) {}

  verify(actor: TenantActor, id: string): Promise<Registration> {
    return this.request(actor, id, LifecycleJob.Verify);
  }

  rotate(actor: TenantActor, id: string): Promise<Registration> {
    return this.request(actor, id, LifecycleJob.Rotate);
  }

  /** Idempotent: a registration already deleted is answered as accepted, with nothing enqueued. */
  async delete(actor: TenantActor, id: string): Promise<Registration> {
    const registration = await this.registrations.findById(actor.tenantId, id);
    if (registration.state === 'deleted') return registration;
    await this.enqueue(actor, registration, LifecycleJob.Delete);
    return registration;
  }

  /** After an app's metadata was replaced: every registration with a client moves to the new version. */
  appReplaced(app: App): Promise<{ enqueued: number }> {
    return this.sweeps.enqueueAll(
      LifecycleJob.Update,
      {
        scope: app.tenantId,
        appId: app.id,
        states: [...RegistrationStates.startable, ACTION_STATE.update],
        withCredential: true,
      },
      `app metadata version ${app.metadataVersion}`,
    );
  }

  offboardApp(tenantId: TenantId, appId: string): Promise<{ enqueued: number }> {
    return this.sweeps.enqueueAll(
      LifecycleJob.Delete,
      { scope: tenantId, appId, states: [...RegistrationStates.notDeleted] },
      'app deleted',
    );
  }

  offboardTenant(tenantId: TenantId): Promise<{ enqueued: number }> {
    return this.sweeps.enqueueAll(
      LifecycleJob.Delete,
      { scope: tenantId, states: [...RegistrationStates.notDeleted] },
      'tenant disabled',
    );
  }

  private async request(actor: TenantActor, id: string, action: RegistrationAction): Promise<Registration> {
    const registration = await this.registrations.findById(actor.tenantId, id);
    const busyWithIt = registration.state === ACTION_STATE[action];
    if (!registration.credential || (!RegistrationStates.startable.includes(registration.state) && !busyWithIt)) {
      throw new DomainError(
        ErrorCode.Conflict,
        `registration ${id} has no client to ${action} (state ${registration.state})`,
      );
    }
    await this.enqueue(actor, registration, action);
    return registration;
  }

  private async enqueue(actor: TenantActor, registration: Registration, action: RegistrationAction): Promise<void> {
    await this.jobs.enqueue(action, [
      {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        healthSystemId: registration.healthSystemId,
        reason: `requested by key ${actor.keyId}`,
      },
    ]);
    await this.audit.record({
      actor,
      tenantId: registration.tenantId,
      appId: registration.appId,
      healthSystemId: registration.healthSystemId,
      registrationId: registration.id,
      action: `registration.${action}_requested`,
      outcome: 'success',
    });
  }
}
