import { Injectable } from '@nestjs/common';
import {
  boundDocument,
  type Actor,
  type LedgerAuditEvent,
  type LedgerOutboxEvent,
  type RegistrationColumns,
  type RegistrationState,
  type TenantId,
} from '#domain';
import {
  AuditRepository,
  OnboardingRepository,
  PrismaService,
  RegistrationRepository,
  type Transaction,
  type RegistrationContext,
} from '#persistence';
import { webhookSubject, type WebhookEventType } from '../webhooks/event-catalogue.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

type Tx = Transaction;

/** Webhook events about one registration (the onboarding's own event aside). */
export type RegistrationEventType = Exclude<WebhookEventType, 'onboarding.completed'>;

export interface RegistrationEventInput {
  tenantId: TenantId;
  registrationId: string;
  actor: Actor;
  type: RegistrationEventType;
  outcome: 'success' | 'failure';
  /** Audit details (identifiers, codes; never a secret). */
  details?: Record<string, unknown>;
  /** What the webhook event adds to its subject (see the event catalogue); may read the changed registration. */
  webhookData?: Record<string, unknown> | ((context: RegistrationContext) => Record<string, unknown>);
}

/**
 * One place that tells the world a registration changed: the audit event and the admin
 * webhook event (outbox), both inside the transaction of the change itself.
 */
@Injectable()
export class RegistrationEvents {
  constructor(
    private readonly prisma: PrismaService,
    private readonly registrations: RegistrationRepository,
    private readonly audit: AuditRepository,
    private readonly outbox: WebhookOutbox,
    private readonly onboardings: OnboardingRepository,
  ) {}

  async record(tx: Tx, input: RegistrationEventInput): Promise<RegistrationContext> {
    const context = await this.announce(tx, { ...input, data: input.webhookData });
    await this.audit.record(
      {
        actor: input.actor,
        tenantId: input.tenantId,
        appId: context.app.id,
        healthSystemId: context.healthSystem.id,
        registrationId: input.registrationId,
        action: input.type,
        outcome: input.outcome,
        details: input.details,
      },
      tx,
    );
    return context;
  }

  /** The webhook event alone, for callers that audit under a name of their own. */
  async announce(
    tx: Tx,
    input: Pick<RegistrationEventInput, 'tenantId' | 'registrationId' | 'type'> & {
      data?: RegistrationEventInput['webhookData'];
    },
  ): Promise<RegistrationContext> {
    const context = await this.registrations.findWithContext(input.tenantId, input.registrationId, tx);
    await this.outbox.record(tx, {
      type: input.type,
      data: { ...webhookSubject(context), ...(typeof input.data === 'function' ? input.data(context) : input.data) },
    } as Parameters<WebhookOutbox['record']>[1]);
    return context;
  }

  /**
   * The audit and outbox rows of `input` for the registration ledger, which writes them with the
   * change itself. `context` is the registration as the change leaves it (see `afterChange`).
   */
  rows(
    context: RegistrationContext,
    input: Omit<RegistrationEventInput, 'tenantId' | 'registrationId'>,
  ): { audit: LedgerAuditEvent[]; outbox: LedgerOutboxEvent[] } {
    const { registration } = context;
    const data = typeof input.webhookData === 'function' ? input.webhookData(context) : input.webhookData;
    const outbox = this.outbox.rows([
      { type: input.type, data: { ...webhookSubject(context), ...data } } as Parameters<WebhookOutbox['rows']>[0][0],
    ]);
    const audit: LedgerAuditEvent = {
      actor: input.actor,
      tenantId: registration.tenantId,
      appId: registration.appId,
      healthSystemId: registration.healthSystemId,
      registrationId: registration.id,
      action: input.type,
      outcome: input.outcome,
      details: input.details,
    };
    return { audit: [audit], outbox };
  }

  /**
   * Called after a registration of an onboarding settles. When it was the last one, marks the
   * onboarding complete (compare-and-set: exactly one caller wins) and tells each site's
   * administrators, with the registration at their site as the subject.
   */
  async completeOnboardingIfSettled(tenantId: TenantId, onboardingId: string | null, actor: Actor): Promise<boolean> {
    if (!onboardingId) return false;
    // Checked after the caller's commit, outside any transaction, so the last two jobs to settle
    // cannot both miss each other's change; the compare-and-set below lets one of them win.
    const open = await this.onboardings.findCompletable(tenantId, onboardingId);
    if (!open) return false;
    return this.prisma.$transaction((tx) => this.complete(tx, tenantId, onboardingId, open.appId, actor));
  }

  private async complete(
    tx: Tx,
    tenantId: TenantId,
    onboardingId: string,
    appId: string,
    actor: Actor,
  ): Promise<boolean> {
    const { count } = await tx.onboarding.updateMany({
      where: { id: onboardingId, completedAt: null },
      data: { completedAt: new Date() },
    });
    if (count !== 1) return false;
    // Set-based: one query and one insert whatever the number of sites. A query and an insert per
    // site took longer than Prisma's 5 s transaction timeout for 1,000 sites under load, and the
    // rollback left such onboardings unannounced.
    const contexts = await this.registrations.findContextsOfOnboarding(tenantId, onboardingId, tx);
    await this.outbox.recordMany(
      tx,
      contexts.map((context) => ({
        type: 'onboarding.completed' as const,
        data: { ...webhookSubject(context), onboarding: { id: onboardingId } },
      })),
    );
    await this.audit.record(
      { actor, tenantId, appId, action: 'onboarding.completed', outcome: 'success', details: { onboardingId } },
      tx,
    );
    return true;
  }
}

/**
 * The registration as a change leaves it, for the events that describe it: the ledger writes the
 * change and its events in one statement, so nothing reads the row back. The granted metadata is
 * bounded as the ledger stores it.
 */
export function afterChange(
  context: RegistrationContext,
  to: RegistrationState,
  columns: RegistrationColumns = {},
): RegistrationContext {
  const { grantedMetadata, credentialSecret, credentialVersion, attemptCount: _count, ...rest } = columns;
  const registration = {
    ...context.registration,
    ...rest,
    state: to,
  } as unknown as RegistrationContext['registration'];
  if (grantedMetadata !== undefined) {
    registration.grantedMetadata =
      grantedMetadata && (boundDocument(grantedMetadata).document as Record<string, unknown>);
  }
  if (credentialSecret !== undefined || credentialVersion !== undefined) {
    const name = credentialSecret === undefined ? context.registration.credential?.name : credentialSecret;
    const versionId = credentialVersion === undefined ? context.registration.credential?.versionId : credentialVersion;
    registration.credential = name && versionId ? { name, versionId } : null;
  }
  return { ...context, registration };
}
