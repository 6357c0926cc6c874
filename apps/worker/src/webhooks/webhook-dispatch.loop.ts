import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WEBHOOK_DISPATCH_BATCH, WebhookDispatcher } from '#registration';

/** How often an idle dispatcher looks at the outbox: events leave within about this delay. */
export const WEBHOOK_DISPATCH_INTERVAL_MS = 500;

/**
 * Polls the webhook outbox and turns new events into delivery jobs. Runs in every worker
 * process (claims are disjoint); a full batch is followed at once by the next, otherwise the
 * loop sleeps. An idle poll is one indexed query.
 */
@Injectable()
export class WebhookDispatchLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatchLoop.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly dispatcher: WebhookDispatcher) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.dispatcher.dispatchBatch(WEBHOOK_DISPATCH_BATCH);
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        this.logger.error({ err: { name, message } }, 'webhook dispatch failed; retrying');
      }
      if (claimed < WEBHOOK_DISPATCH_BATCH) await this.sleep(WEBHOOK_DISPATCH_INTERVAL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
