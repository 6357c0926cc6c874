import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { RetentionRepository, type RetentionBatch, type RetentionPosition } from '#persistence';

const DAY_MS = 24 * 3600 * 1000;

export interface RetentionResult {
  history: number;
  attempts: number;
  auditEvents: number;
  webhookDeliveries: number;
  webhookEvents: number;
  /** False when the run stopped at its time budget with old rows left (the next run goes on). */
  finished: boolean;
}

/**
 * The retention sweep (scheduled every `RETENTION_INTERVAL_SECONDS`): deletes what is older than
 * each table's retention, `RETENTION_BATCH_SIZE` rows per statement with `RETENTION_BATCH_PAUSE_MS`
 * between statements, so it never holds locks or the disk for long and the space it frees is
 * reused by new rows. A run stops after half its interval (a first run over years of rows takes
 * several); what it keeps is decided by `RetentionRepository`.
 */
@Injectable()
export class RetentionSweep {
  private readonly logger = new Logger(RetentionSweep.name);

  constructor(
    private readonly retention: RetentionRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async run(now = new Date()): Promise<RetentionResult> {
    const settings = this.config.retention;
    const deadline = Date.now() + (settings.intervalSeconds * 1000) / 2;
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const limit = settings.batchSize;
    let finished = true;

    const drain = async (step: () => Promise<number>): Promise<number> => {
      let total = 0;
      for (;;) {
        const deleted = await step();
        total += deleted;
        if (deleted < limit) return total;
        if (Date.now() > deadline) return ((finished = false), total);
        await sleep(settings.batchPauseMs);
      }
    };
    const walk = async (step: (after: RetentionPosition | null) => Promise<RetentionBatch>): Promise<number> => {
      let total = 0;
      let after: RetentionPosition | null = null;
      for (;;) {
        const batch = await step(after);
        total += batch.deleted;
        if (!batch.next) return total;
        if (Date.now() > deadline) return ((finished = false), total);
        after = batch.next;
        await sleep(settings.batchPauseMs);
      }
    };

    // Deliveries before events: an event's remaining deliveries go with it, fewer that way.
    const webhookDeliveries = await drain(() =>
      this.retention.deleteWebhookDeliveries(before(settings.webhookDeliveriesDays), limit),
    );
    const webhookEvents = await drain(() =>
      this.retention.deleteWebhookEvents(before(settings.webhookEventsDays), limit),
    );
    const history = await walk((after) => this.retention.deleteHistory(before(settings.historyDays), after, limit));
    const attempts = await walk((after) => this.retention.deleteAttempts(before(settings.attemptsDays), after, limit));
    const auditEvents = await drain(() => this.retention.deleteAuditEvents(before(settings.auditDays), limit));

    const result = { history, attempts, auditEvents, webhookDeliveries, webhookEvents, finished };
    if (history + attempts + auditEvents + webhookDeliveries + webhookEvents > 0 || !finished) {
      this.logger.log(result, 'retention: old rows deleted');
    }
    return result;
  }
}
