import { Injectable } from '@nestjs/common';
import { SETTLED_STATES, type Actor } from '#domain';
import {
  AuditRepository,
  PrismaService,
  RegistrationRepository,
  type Prisma,
  type RegistrationContext,
} from '#persistence';
import { webhookSubject, type WebhookEventType } from '../webhooks/event-catalogue.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

type Tx = Prisma.TransactionClient;
export type RegistrationEventType = Exclude<WebhookEventType, 'onboarding.completed'>;

export interface RegistrationEventInput {
  tenantId: string;
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
   * Called after a registration of an onboarding settles. When it was the last one, marks the
   * onboarding complete (compare-and-set: exactly one caller wins) and tells each site's
   * administrators, with the registration at their site as the subject.
   */
  async completeOnboardingIfSettled(tenantId: string, onboardingId: string | null, actor: Actor): Promise<boolean> {
    if (!onboardingId) return false;
    // Checked after the caller's commit, outside any transaction, so the last two jobs to settle
    // cannot both miss each other's change; the compare-and-set below lets one of them win.
    const [open] = await this.prisma.$queryRaw<Array<{ appId: string; unsettled: bigint }>>`
      SELECT o."appId", o."total" - (SELECT count(*) FROM "Registration" r
                                      WHERE r."onboardingId" = o."id" AND r."state" = ANY(${[...SETTLED_STATES]})) AS unsettled
        FROM "Onboarding" o WHERE o."id" = ${onboardingId}::uuid AND o."tenantId" = ${tenantId}::uuid AND o."completedAt" IS NULL`;
    if (!open || open.unsettled > 0n) return false;
    return this.prisma.$transaction((tx) => this.complete(tx, tenantId, onboardingId, open.appId, actor));
  }

  private async complete(
    tx: Tx,
    tenantId: string,
    onboardingId: string,
    appId: string,
    actor: Actor,
  ): Promise<boolean> {
    const { count } = await tx.onboarding.updateMany({
      where: { id: onboardingId, completedAt: null },
      data: { completedAt: new Date() },
    });
    if (count !== 1) return false;
    const registrationIds = await tx.registration.findMany({ where: { onboardingId, tenantId }, select: { id: true } });
    for (const { id } of registrationIds) {
      const context = await this.registrations.findWithContext(tenantId, id, tx);
      await this.outbox.record(tx, {
        type: 'onboarding.completed',
        data: { ...webhookSubject(context), onboarding: { id: onboardingId } },
      });
    }
    await this.audit.record(
      { actor, tenantId, appId, action: 'onboarding.completed', outcome: 'success', details: { onboardingId } },
      tx,
    );
    return true;
  }
}
