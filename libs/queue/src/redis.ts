import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { BrokerConfig } from '#config';

type RedisTarget = Pick<BrokerConfig['redis'], 'url' | 'clusterNodes'>;

/**
 * THE place a Redis connection is made (BullMQ, the per-site limiter, the secrets write
 * limiter, health checks). `maxRetriesPerRequest: null` is what BullMQ workers require (a
 * blocked command must wait for Redis to come back, not fail); queue producers in the API use
 * the same so a short Redis restart delays a request instead of losing its jobs.
 *
 * With `clusterNodes` (REDIS_CLUSTER_NODES) it is an ioredis Cluster that follows MOVED/ASK
 * redirections and fails over with the cluster; REDIS_URL then gives only the credentials and
 * TLS. It is typed as `Redis`: a Cluster answers the same commands, so callers need not know.
 */
export function createRedisConnection(target: string | RedisTarget, options: RedisOptions = {}): Redis {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  const common: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, ...options };
  if (!clusterNodes?.length) return new Redis(url, common);
  const parsed = new URL(url);
  const cluster = new Cluster(clusterNodes, {
    redisOptions: {
      ...common,
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
      tls: parsed.protocol === 'rediss:' ? {} : undefined,
    },
    // Keep commands queued while a failover moves slots, instead of failing them.
    enableOfflineQueue: true,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
  });
  return cluster as unknown as Redis;
}

/**
 * The BullMQ key prefix of one queue. Every key of a queue must sit in one hash slot (its Lua
 * scripts touch several), so the prefix is a hash tag. On a single Redis every queue shares
 * QUEUE_PREFIX (`{broker}`, unchanged); on a cluster each queue gets its own tag derived from
 * it (`{broker:registration}`) so the queues spread over the shards.
 */
export function queueKeyPrefix(
  redis: Pick<BrokerConfig['redis'], 'queuePrefix' | 'clusterNodes'>,
  queue: string,
): string {
  if (!redis.clusterNodes?.length) return redis.queuePrefix;
  return `{${redis.queuePrefix.slice(1, -1)}:${queue}}`;
}

/** Nest injection token of the process's shared Redis connection. */
export const REDIS = Symbol('Redis');
