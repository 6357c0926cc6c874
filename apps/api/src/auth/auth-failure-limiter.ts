import { Global, Inject, Injectable, Logger, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { BROKER_CONFIG, type BrokerConfig } from '#config';

/**
 * Counts authentication failures per client address and per API key id in fixed windows kept in
 * Redis, so the limit holds across API replicas. Once a counter reaches the limit, requests from
 * that address or for that key id are answered 429 until the window ends, whatever they present
 * (a guessing client learns nothing more).
 *
 * Fails open: with Redis unreachable the API keeps authenticating (and says so in the log) rather
 * than turning a Redis outage into an outage of every tenant. Its own connection never queues
 * commands while Redis is away and gives up on one after a short timeout, so a request is
 * never held up by it.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly redis: Redis;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly prefix: string;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.limit = config.api.authFailures.limit;
    this.windowMs = config.api.authFailures.windowSeconds * 1000;
    this.prefix = `${config.redis.queuePrefix}:auth-failures`;
    this.redis = new Redis(config.redis.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: 1000,
      lazyConnect: true,
    });
    this.redis.on('error', () => undefined); // reported per command below
  }

  /**
   * Connects before the API serves (commands are not queued while connecting, so the first
   * requests would otherwise go unlimited); a Redis that does not answer within 2 s does not
   * hold up the start: ioredis keeps reconnecting in the background.
   */
  async onModuleInit(): Promise<void> {
    await Promise.race([this.redis.connect().catch(() => undefined), sleep(2_000)]);
  }

  /** Seconds until the caller may try again, or 0 when neither its address nor the key id is blocked. */
  async retryAfterSeconds(address: string, keyId: string | null): Promise<number> {
    const keys = this.keysFor(address, keyId);
    try {
      const counts = await this.redis.mget(...keys);
      const blocked = keys.filter((_key, index) => Number(counts[index] ?? 0) >= this.limit);
      if (!blocked.length) return 0;
      const ttls = await Promise.all(blocked.map((key) => this.redis.pttl(key)));
      return Math.max(1, Math.ceil(Math.max(...ttls, 0) / 1000));
    } catch (error) {
      this.unavailable(error);
      return 0;
    }
  }

  /** Counts one failure against the address and the key id (the window starts at the first failure). */
  async recordFailure(address: string, keyId: string | null): Promise<void> {
    try {
      const transaction = this.redis.multi();
      for (const key of this.keysFor(address, keyId)) {
        transaction.incr(key).pexpire(key, this.windowMs, 'NX');
      }
      await transaction.exec();
    } catch (error) {
      this.unavailable(error);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
  }

  private keysFor(address: string, keyId: string | null): string[] {
    return [`${this.prefix}:address:${address}`, ...(keyId ? [`${this.prefix}:key:${keyId}`] : [])];
  }

  private unavailable(error: unknown): void {
    this.logger.warn(
      { err: error instanceof Error ? { type: error.name, message: error.message } : String(error) },
      'authentication failure limits unavailable (Redis): not enforced',
    );
  }
}

/** One limiter for every guard of the API, whichever module declares the controller. */
@Global()
@Module({ providers: [AuthFailureLimiter], exports: [AuthFailureLimiter] })
export class AuthFailureLimiterModule {}
