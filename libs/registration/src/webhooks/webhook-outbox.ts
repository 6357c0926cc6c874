import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { parseOrThrow } from '#domain';
import { WebhookEventRepository, type Transaction, type WebhookEventInput as WebhookEventRow } from '#persistence';
import { PING_EVENT_TYPE, webhookEventInputSchema, type WebhookEventInput } from './event-catalogue.js';

/**
 * Records webhook events in the outbox. Call `record` with the transaction client of the
 * change the event reports: both commit or neither does, so a crash can neither lose an event
 * nor announce a change that did not happen. The dispatcher delivers committed events.
 */
@Injectable()
export class WebhookOutbox {
  constructor(private readonly events: WebhookEventRepository) {}

  async record(tx: Transaction, event: WebhookEventInput, occurredAt: Date = new Date()): Promise<{ id: string }> {
    const [recorded] = await this.recordMany(tx, [event], occurredAt);
    return recorded!;
  }

  /** Several events of one change, in one statement. */
  async recordMany(
    tx: Transaction,
    events: WebhookEventInput[],
    occurredAt: Date = new Date(),
  ): Promise<Array<{ id: string }>> {
    const rows = this.rows(events, occurredAt);
    await this.events.insertMany(tx, rows);
    return rows.map(({ id }) => ({ id }));
  }

  /** The outbox rows of `events`, validated and serialised, for a writer of its own (the registration ledger). */
  rows(events: WebhookEventInput[], occurredAt: Date = new Date()): WebhookEventRow[] {
    return events.map((event) => {
      const { type, data } = parseOrThrow(webhookEventInputSchema, event, 'webhook event');
      return this.toRow({ type, healthSystemId: data.healthSystem.id, data, occurredAt });
    });
  }

  /** A test event for one endpoint (the operator's "ping"). */
  async recordPing(
    tx: Transaction,
    healthSystem: { id: string; name: string; fhirBaseUrl: string },
    endpointId: string,
  ): Promise<{ id: string }> {
    const data = {
      healthSystem: { id: healthSystem.id, name: healthSystem.name, fhirBaseUrl: healthSystem.fhirBaseUrl },
      endpoint: { id: endpointId },
    };
    const row = this.toRow({
      type: PING_EVENT_TYPE,
      healthSystemId: healthSystem.id,
      data,
      occurredAt: new Date(),
      targetEndpointId: endpointId,
    });
    await this.events.insert(tx, row);
    return { id: row.id };
  }

  /** The body is serialised once here, so every attempt and replay signs and sends the same bytes. */
  private toRow(event: {
    type: string;
    healthSystemId: string;
    data: unknown;
    occurredAt: Date;
    targetEndpointId?: string;
  }): WebhookEventRow {
    const id = randomUUID();
    const body = JSON.stringify({ id, type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data });
    return {
      id,
      healthSystemId: event.healthSystemId,
      type: event.type,
      body,
      createdAt: event.occurredAt,
      targetEndpointId: event.targetEndpointId,
    };
  }
}
