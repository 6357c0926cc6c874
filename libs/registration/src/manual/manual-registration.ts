import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { SECRET_STORE, type HealthSystem, type SecretStore, type SystemActor } from '#domain';
import {
  AppRepository,
  AuditRepository,
  PrismaService,
  type Transaction,
  RegistrationRepository,
  RegistrationRequestRepository,
  type RegistrationContext,
  type SiteRequest,
  type SiteRequestKind,
} from '#persistence';
import type { SmartServerDescription } from '#smart-client';
import { RegistrationEvents } from '../engine/registration-events.js';
import { registrationPathOf } from './registration-path.js';
import { metadataChanges, requestDocument, requestPayload } from './request-document.js';

const WORKER: SystemActor = { type: 'system', component: 'worker' };
type Tx = Transaction;

/**
 * The broker's side of manual registration at sites without RFC 7591: instead of a POST, a request
 * to the site's administrators (a `registration.requested` webhook and a record they answer through
 * the broker). Opening a request is idempotent (one open request per kind and registration), so
 * BullMQ's at-least-once jobs open nothing twice.
 */
@Injectable()
export class ManualRegistration {
  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly requests: RegistrationRequestRepository,
    private readonly apps: AppRepository,
    private readonly audit: AuditRepository,
    private readonly events: RegistrationEvents,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Whether a registration at this site goes to its administrators (the operator's mode, else discovery). */
  appliesTo(healthSystem: HealthSystem, description: SmartServerDescription): boolean {
    return (
      registrationPathOf(healthSystem.registrationMode, description.endpoints.registration !== undefined) === 'manual'
    );
  }

  /**
   * From the register job, after discovery: `discovering -> awaiting_site` with a `register`
   * request and its webhook, in one transaction. The registration is settled (no job works on it)
   * until the site's administrators answer.
   */
  async requestRegistration(context: RegistrationContext): Promise<'awaiting_site' | 'nothing_to_do'> {
    const { registration } = context;
    const opened = await this.prisma.$transaction(async (tx) => {
      const moved = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'discovering',
          to: 'awaiting_site',
          reason: "waiting for the site's administrators to register the client by hand",
          set: { lastError: null, nextAttemptAt: null },
        },
        tx,
      );
      if (!moved) return false;
      await this.open(tx, context, 'register', registration.requestedMetadata);
      return true;
    });
    if (!opened) return 'nothing_to_do';
    await this.events.completeOnboardingIfSettled(registration.tenantId, registration.onboardingId, WORKER);
    return 'awaiting_site';
  }

  /**
   * Opens a request of `kind` (or finds the one already open) and announces a new one:
   * `registration.requested` to the site's webhooks, audited for the tenant.
   */
  async open(
    tx: Tx,
    context: RegistrationContext,
    kind: SiteRequestKind,
    metadata: Record<string, unknown>,
    changes?: SiteRequest['changes'],
    metadataVersion = context.registration.metadataVersion,
  ): Promise<SiteRequest> {
    const { registration } = context;
    const document = requestDocument({ kind, config: this.config, ...context, metadata });
    const { request, created } = await this.requests.open(tx, {
      tenantId: registration.tenantId,
      registrationId: registration.id,
      healthSystemId: registration.healthSystemId,
      appId: registration.appId,
      kind,
      document,
      changes,
      metadataVersion,
      nextReminderAt: this.nextReminder(),
    });
    if (created) await this.announce(tx, request, WORKER);
    return request;
  }

  /** Re-sends every open request whose reminder is due (run by the rotation sweep). */
  async sendDueReminders(now = new Date()): Promise<{ reminded: number }> {
    let reminded = 0;
    for (;;) {
      const due = await this.requests.dueForReminder(now, 200);
      if (!due.length) return { reminded };
      for (const request of due) {
        const sent = await this.prisma.$transaction(async (tx) => {
          if (!(await this.requests.noteReminder(tx, request, this.nextReminder(now), now))) return false;
          await this.announce(tx, { ...request, remindersSent: request.remindersSent + 1 }, WORKER, 'reminded');
          return true;
        });
        if (sent) reminded++;
      }
      if (due.length < 200) return { reminded };
    }
  }

  private async announce(tx: Tx, request: SiteRequest, actor: SystemActor, verb = 'requested'): Promise<void> {
    await this.events.announce(tx, {
      tenantId: request.tenantId,
      registrationId: request.registrationId,
      type: 'registration.requested',
      data: { request: requestPayload(this.config, request) },
    });
    await this.auditRequest(tx, request, actor, `registration_request.${verb}`);
  }

  private async auditRequest(tx: Tx, request: SiteRequest, actor: SystemActor, action: string): Promise<void> {
    await this.audit.record(
      {
        actor,
        tenantId: request.tenantId,
        appId: request.appId,
        healthSystemId: request.healthSystemId,
        registrationId: request.registrationId,
        action,
        outcome: 'success',
        details: { requestId: request.id, kind: request.kind, reminder: request.remindersSent },
      },
      tx,
    );
  }

  private nextReminder(from = new Date()): Date {
    return new Date(from.getTime() + this.config.lifecycle.siteRequestReminderSeconds * 1000);
  }

  // ---- lifecycle of clients registered by hand (no RFC 7592: the broker asks the site) ----

  /**
   * Runs a lifecycle action for a registration whose client the site registered by hand, or one
   * still awaiting the site; returns null for every other registration (the RFC 7592 engine's).
   */
  async lifecycle(
    action: 'verify' | 'update' | 'rotate' | 'delete',
    tenantId: RegistrationContext['tenant']['id'],
    registrationId: string,
  ): Promise<string | null> {
    const context = await this.registrations.findWithContext(tenantId, registrationId);
    const { registration } = context;
    if (registration.state === 'awaiting_site') {
      return action === 'delete' ? this.withdraw(context) : 'nothing_to_do';
    }
    if (!(await this.requests.isManualClient(registration.id))) return null;
    switch (action) {
      case 'verify':
        return null; // the engine's verify: no RFC 7592 read, a token request where the grant allows one
      case 'update':
        return this.requestUpdate(context);
      case 'rotate':
        return this.requestRotation(context);
      case 'delete':
        return this.requestRemoval(context);
    }
  }

  /** An app change: a new `update` request with the diff (an older open one is replaced). */
  private async requestUpdate(context: RegistrationContext): Promise<string> {
    const { registration } = context;
    const app = await this.apps.findById(registration.tenantId, registration.appId).catch(() => null);
    if (!app || app.metadataVersion <= registration.metadataVersion) return 'up_to_date';
    await this.prisma.$transaction(async (tx) => {
      const open = await this.requests.findOpen(tx, registration.id, 'update');
      if (open && open.metadataVersion >= app.metadataVersion) return;
      if (open) await this.requests.cancelOpen(tx, registration.id, ['update']);
      const changes = metadataChanges(registration.requestedMetadata, app.clientMetadata);
      await this.open(tx, { ...context, app }, 'update', app.clientMetadata, changes, app.metadataVersion);
    });
    return 'awaiting_site';
  }

  /** The secret expires soon: a `rotation` request, ahead of time (the rotation sweep's window). */
  private async requestRotation(context: RegistrationContext): Promise<string> {
    await this.prisma.$transaction((tx) =>
      this.open(
        tx,
        context,
        'rotation',
        context.registration.grantedMetadata ?? context.registration.requestedMetadata,
      ),
    );
    return 'awaiting_site';
  }

  /**
   * Offboarding: the broker forgets the client (secret deleted, `deleted` tombstone) and asks the
   * site to remove it; other open requests of the registration are withdrawn.
   */
  private async requestRemoval(context: RegistrationContext): Promise<string> {
    const { registration } = context;
    if (registration.state === 'deleted') return 'nothing_to_do';
    const from = registration.state;
    // The broker forgets the credential first (idempotent): a store that fails throws, the job
    // retries, and nothing has changed yet; a tombstone never names a secret left behind.
    if (registration.credential) await this.secrets.delete(registration.credential.name);
    const moved = await this.prisma.$transaction(async (tx) => {
      // A run that stopped between the two moves left `deleting`: carry on from there.
      if (from !== 'deleting') {
        const deleting = await this.registrations.transition(
          registration.tenantId,
          registration.id,
          { from, to: 'deleting', reason: 'offboarding' },
          tx,
        );
        if (!deleting) return false;
      }
      const deleted = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        {
          from: 'deleting',
          to: 'deleted',
          reason: "offboarded; the site's administrators are asked to remove the client",
        },
        tx,
      );
      if (!deleted) return false;
      await this.requests.cancelOpen(tx, registration.id, ['update', 'rotation']);
      await this.open(tx, context, 'removal', registration.grantedMetadata ?? registration.requestedMetadata);
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.deleted',
        outcome: 'success',
        details: { clientId: registration.clientId, manual: true },
        webhookData: { reason: 'offboarded; a removal request was sent to the site' },
      });
      return true;
    });
    return moved ? 'deleted' : 'nothing_to_do';
  }

  /** Offboarding before the site answered: the open request is withdrawn; nothing exists at the site. */
  private async withdraw(context: RegistrationContext): Promise<string> {
    const { registration } = context;
    const moved = await this.prisma.$transaction(async (tx) => {
      const done = await this.registrations.transition(
        registration.tenantId,
        registration.id,
        { from: 'awaiting_site', to: 'deleted', reason: 'offboarded before the site registered the client' },
        tx,
      );
      if (!done) return false;
      await this.requests.cancelOpen(tx, registration.id);
      await this.events.record(tx, {
        tenantId: registration.tenantId,
        registrationId: registration.id,
        actor: WORKER,
        type: 'registration.deleted',
        outcome: 'success',
        details: { manual: true, withdrawn: true },
        webhookData: { reason: 'offboarded before the site registered the client: the request is withdrawn' },
      });
      return true;
    });
    return moved ? 'deleted' : 'nothing_to_do';
  }
}
