import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '#domain';
import type { WebhookDelivery as WebhookDeliveryRow } from './generated/client.js';
import { PrismaService } from './prisma.service.js';
import { keysetPage, uuidEquals } from './pagination.js';

/** `retry_scheduled`: failed, will be attempted again at `nextAttemptAt`; `failed`: no further attempt. */
export type WebhookDeliveryOutcome = 'delivered' | 'retry_scheduled' | 'failed';

export interface WebhookDeliveryInput {
  eventId: string;
  endpointId: string;
  eventType: string;
  attempt: number;
  replay: boolean;
  at: Date;
  outcome: WebhookDeliveryOutcome;
  httpStatus: number | null;
  latencyMs: number | null;
  /** What went wrong, for the operator; never a secret or a URL's path. */
  error: string | null;
  /** A short, sanitised start of the receiver's answer. */
  responseExcerpt: string | null;
  nextAttemptAt: Date | null;
}

export interface WebhookDeliveryRecord extends WebhookDeliveryInput {
  id: string;
}

function toRecord(row: WebhookDeliveryRow): WebhookDeliveryRecord {
  return { ...row, outcome: row.outcome as WebhookDeliveryOutcome };
}

/** The delivery log: one append-only row per attempt. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(attempt: WebhookDeliveryInput): Promise<void> {
    await this.prisma.webhookDelivery.create({ data: { id: randomUUID(), ...attempt } });
  }

  /** Newest first. */
  async list(
    endpointId: string,
    page: PageRequest,
    filter: { eventId?: string } = {},
  ): Promise<Page<WebhookDeliveryRecord>> {
    return keysetPage(
      this.prisma,
      { table: 'WebhookDelivery', time: 'at' },
      [uuidEquals('endpointId', endpointId), uuidEquals('eventId', filter.eventId)],
      page,
      toRecord,
    );
  }
}
