import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. `maxRetriesPerRequest: null` is what BullMQ workers require
 * (a blocked command must wait for Redis to come back, not fail); queue producers in the
 * API use the same so a short Redis restart delays a request instead of losing its jobs.
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Nest injection token of the process's shared Redis connection. */
export const REDIS = Symbol('Redis');
