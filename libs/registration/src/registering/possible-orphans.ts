import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { parseOrThrow, type Actor, type Page, type PageRequest, type Registration } from '#domain';
import {
  AuditRepository,
  POSSIBLE_ORPHAN_RESOLUTIONS,
  PossibleOrphanRepository,
  type Transaction,
  type PossibleOrphan,
  type PossibleOrphanReason,
  type RegistrationAttempt,
} from '#persistence';
import { RegistrationEvents } from '../engine/registration-events.js';
import { WORKER } from '../engine/first-registration-failure.js';

type Tx = Transaction;

const OPERATOR: Actor = { type: 'operator' };

/** What the operator says after asking the site about the client. */
export const resolvePossibleOrphanSchema = z.strictObject({
  resolution: z.enum(POSSIBLE_ORPHAN_RESOLUTIONS),
  note: z.string().trim().max(2000).optional(),
});

export const listPossibleOrphansSchema = z.strictObject({
  healthSystemId: z.uuid().optional(),
  registrationId: z.uuid().optional(),
  resolved: z.enum(['true', 'false']).optional(),
});

const REASON_TEXT: Record<PossibleOrphanReason, string> = {
  outcome_unknown: 'the site gave no usable answer to the registration request (5xx, timeout or reset after sending)',
  interrupted: 'the worker stopped after sending the registration request, before its answer was stored',
  credential_not_stored:
    'the site created the client but its credential could not be stored, and the client could not be deleted again',
};

/**
 * The one way a registration says "a client may exist at the site that nothing else names":
 * a possible-orphan record (listed for the operator, resolvable), the attempt's audit event and
 * the site's `registration.orphan_suspected` webhook (attempt id, time, client name, client id
 * when known), in the caller's transaction. The registration itself carries on: recording an
 * orphan never blocks the tenant.
 */
@Injectable()
export class PossibleOrphans {
  private readonly logger = new Logger(PossibleOrphans.name);

  constructor(
    private readonly orphans: PossibleOrphanRepository,
    private readonly events: RegistrationEvents,
    private readonly audit: AuditRepository,
  ) {}

  /** The operator's list, newest first; `resolved=false` is the work still to do. */
  list(query: unknown, page: PageRequest): Promise<Page<PossibleOrphan>> {
    const filter = parseOrThrow(listPossibleOrphansSchema, query, 'query', 'query');
    return this.orphans.list(page, {
      healthSystemId: filter.healthSystemId,
      registrationId: filter.registrationId,
      resolved: filter.resolved === undefined ? undefined : filter.resolved === 'true',
    });
  }

  get(id: string): Promise<PossibleOrphan> {
    return this.orphans.findById(id);
  }

  /** Closes a record once the site said what exists there; audited. */
  async resolve(id: string, body: unknown): Promise<PossibleOrphan> {
    const input = parseOrThrow(resolvePossibleOrphanSchema, body, 'resolution');
    const orphan = await this.orphans.resolve(id, input.resolution, input.note ?? null);
    await this.audit.record({
      actor: OPERATOR,
      tenantId: orphan.tenantId,
      healthSystemId: orphan.healthSystemId,
      registrationId: orphan.registrationId,
      action: 'possible_orphan.resolved',
      outcome: 'success',
      details: { possibleOrphanId: orphan.id, attemptId: orphan.attemptId, resolution: input.resolution },
    });
    return orphan;
  }

  describe(reason: PossibleOrphanReason): string {
    return REASON_TEXT[reason];
  }

  async record(
    tx: Tx,
    input: {
      registration: Registration;
      attempt: Pick<RegistrationAttempt, 'id' | 'startedAt' | 'nonce'>;
      reason: PossibleOrphanReason;
      clientId?: string | null;
    },
  ): Promise<PossibleOrphan> {
    const { registration, attempt, reason } = input;
    const clientName = registration.requestedMetadata.client_name ?? null;
    const { orphan, created } = await this.orphans.record(tx, {
      tenantId: registration.tenantId,
      registrationId: registration.id,
      healthSystemId: registration.healthSystemId,
      attemptId: attempt.id,
      reason,
      clientId: input.clientId ?? null,
      clientName,
      attemptStartedAt: attempt.startedAt,
    });
    if (!created) return orphan; // this attempt was announced already (a job that ran again)
    await this.events.record(tx, {
      tenantId: registration.tenantId,
      registrationId: registration.id,
      actor: WORKER,
      type: 'registration.orphan_suspected',
      outcome: 'failure',
      details: {
        possibleOrphanId: orphan.id,
        attemptId: attempt.id,
        nonce: attempt.nonce,
        reason,
        clientId: orphan.clientId,
        startedAt: attempt.startedAt.toISOString(),
      },
      webhookData: {
        attempt: {
          id: attempt.id,
          startedAt: attempt.startedAt.toISOString(),
          clientName,
          clientId: orphan.clientId,
        },
        possibleOrphan: { id: orphan.id, reason, description: REASON_TEXT[reason] },
      },
    });
    this.logger.warn(
      { registrationId: registration.id, attemptId: attempt.id, possibleOrphanId: orphan.id, reason },
      'a client may exist at the site without a registration naming it: recorded as a possible orphan',
    );
    return orphan;
  }
}
