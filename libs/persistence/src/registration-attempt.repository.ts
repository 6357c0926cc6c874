import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Prisma } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { asJson } from './json.js';
import type { TenantId } from '#domain';

export type AttemptAction = 'register' | 'verify' | 'update' | 'rotate' | 'delete';
/**
 * `unknown`: the request may have reached the server but no usable answer came (5xx, timeout,
 * reset): a client may exist there. `orphan_suspected`: the process died after sending, or the
 * credential could not be stored. `compensated`: the client was created but its credential could
 * not be stored, so the broker deleted it again (RFC 7592).
 */
export type AttemptOutcome = 'pending' | 'succeeded' | 'failed' | 'unknown' | 'orphan_suspected' | 'compensated';

export interface RegistrationAttempt {
  id: string;
  registrationId: string;
  action: AttemptAction;
  /** Random id of the attempt, kept for operators matching a possibly orphaned client with the site. */
  nonce: string;
  outcome: AttemptOutcome;
  httpStatus: number | null;
  clientId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

type Tx = Prisma.TransactionClient;

/**
 * Attempts are written before an outbound call that can create or change a client and
 * closed after its answer is stored, so a crash in between leaves a visible `pending` row.
 */
@Injectable()
export class RegistrationAttemptRepository {
  constructor(private readonly prisma: PrismaService) {}

  async start(
    tx: Tx,
    input: { tenantId: TenantId; registrationId: string; action: AttemptAction },
  ): Promise<RegistrationAttempt> {
    const row = await tx.registrationAttempt.create({
      data: { id: randomUUID(), nonce: randomBytes(12).toString('base64url'), ...input },
    });
    return row as RegistrationAttempt;
  }

  async finish(
    tx: Tx,
    id: string,
    result: { outcome: Exclude<AttemptOutcome, 'pending'>; httpStatus?: number; clientId?: string; error?: object },
  ): Promise<void> {
    await tx.registrationAttempt.update({
      where: { id },
      data: {
        outcome: result.outcome,
        httpStatus: result.httpStatus ?? null,
        // A client noted earlier (noteClient) stays unless the result names one.
        ...(result.clientId !== undefined ? { clientId: result.clientId } : {}),
        error: result.error ? asJson(result.error) : undefined,
        finishedAt: new Date(),
      },
    });
  }

  /** Names the client a pending attempt created, as soon as the server's answer arrives. */
  async noteClient(id: string, clientId: string): Promise<void> {
    await this.prisma.registrationAttempt.update({ where: { id }, data: { clientId } });
  }

  async findPending(registrationId: string, action: AttemptAction): Promise<RegistrationAttempt | null> {
    const row = await this.prisma.registrationAttempt.findFirst({
      where: { registrationId, action, outcome: 'pending' },
      orderBy: { startedAt: 'desc' },
    });
    return row as RegistrationAttempt | null;
  }

  async list(tenantId: TenantId, registrationId: string): Promise<RegistrationAttempt[]> {
    const rows = await this.prisma.registrationAttempt.findMany({
      where: { tenantId, registrationId },
      orderBy: { startedAt: 'asc' },
    });
    return rows as RegistrationAttempt[];
  }
}
