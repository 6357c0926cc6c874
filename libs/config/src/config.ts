import { z } from 'zod';

/**
 * The broker's configuration, read from the environment once at start-up. A wrong or
 * missing value stops the process with the full list of problems (see `loadConfig`).
 * Nothing else in the code base reads `process.env`.
 */

const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port(3000),
  WORKER_HEALTH_PORT: port(3001),
  PUBLIC_BASE_URL: z.url().optional(),
  // HTTP server limits: a client that never finishes its headers or body is cut off.
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
  // Authentication failures allowed per client address and per API key id in one window (then 429).
  AUTH_FAILURE_LIMIT: positiveInt(20),
  AUTH_FAILURE_WINDOW_SECONDS: positiveInt(60),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgresql:// URL' })
    .default('postgresql://postgres@127.0.0.1:5432/broker'),
  DATABASE_POOL_SIZE: positiveInt(10),
  // Named (server-side prepared) statements spare PostgreSQL parsing and planning each query
  // again; turn off behind a pooler in transaction mode that cannot keep them (PgBouncer < 1.21).
  DATABASE_PREPARED_STATEMENTS: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  // host:port,host:port... of a Redis Cluster's seed nodes: the broker then speaks the cluster
  // protocol (MOVED/ASK, failover); REDIS_URL still gives the credentials and TLS (rediss://).
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d+(\s*,\s*[^\s,:]+:\d+)*\s*$/, { message: 'must be host:port[,host:port...]' })
    .transform((value) =>
      value.split(',').map((node) => {
        const [host, port] = node.trim().split(':');
        return { host: host!, port: Number(port) };
      }),
    )
    .optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_:-]+\}$/, { message: 'must be a Redis Cluster hash tag such as {broker}' })
    .default('{broker}'),
  OPERATOR_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }),
  SECRETS_BACKEND: z.enum(['local', 'aws']).default('local'),
  LOCAL_SECRETS_KEY: z.string().optional(),
  /**
   * A PostgreSQL database of its own for the local secret store (migrated like the main one);
   * default: the store's table in `DATABASE_URL`.
   */
  LOCAL_SECRETS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgresql:// URL' })
    .optional(),
  SECRETS_NAME_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]*$/, { message: 'may contain letters, digits and /_+=.@- only' })
    .default('smart-broker/'),
  AWS_REGION: z.string().optional(),
  SECRETS_MANAGER_ENDPOINT: z.url().optional(),
  SECRETS_KMS_KEY_ID: z.string().optional(),
  SECRETS_WRITE_RATE_PER_SECOND: positiveInt(20),
  /** Days a deleted Secrets Manager secret can still be restored (AWS allows 7 to 30). */
  SECRETS_RECOVERY_WINDOW_DAYS: z.coerce.number().int().min(7).max(30).default(30),
  /**
   * After a site created a client, how long the job keeps trying to store its credential before
   * it deletes the client again (RFC 7592) or records it as a possible orphan (default 5 min).
   */
  SECRETS_STORE_WAIT_SECONDS: positiveInt(300),
  /** A store failing this many calls in a row opens the circuit: no job sends to a site meanwhile. */
  SECRETS_CIRCUIT_FAILURES: positiveInt(3),
  /** How long an open circuit waits before probing the store again (milliseconds). */
  SECRETS_CIRCUIT_OPEN_MS: positiveInt(5_000),
  /** How often the reconciler looks for registrations whose job went missing (default 30 s). */
  RECONCILE_INTERVAL_SECONDS: positiveInt(30),
  /** A registration without progress for this long is presumed to have lost its job (default 2 min). */
  RECONCILE_GRACE_SECONDS: positiveInt(120),
  OUTBOUND_ALLOWED_HOSTS: commaList,
  OUTBOUND_TIMEOUT_MS: positiveInt(10_000),
  OUTBOUND_MAX_RESPONSE_BYTES: positiveInt(1_048_576),
  DISCOVERY_TTL_SECONDS: positiveInt(3600),
  WORKER_CONCURRENCY: positiveInt(32),
  SITE_CONCURRENCY: positiveInt(4),
  /** Client secrets expiring within this window are rotated by the rotation sweep (default 7 days). */
  ROTATION_WINDOW_SECONDS: positiveInt(7 * 24 * 3600),
  /** A secret is rotated once less than this fraction of its own lifetime is left (default 0.2), within the window. */
  ROTATION_REMAINING_FRACTION: z.coerce.number().gt(0).lt(1).default(0.2),
  /**
   * How often the rotation sweep looks for secrets due (default 1 minute). Each run enqueues only
   * what is due, up to SWEEP_MAX_WAITING_JOBS waiting jobs, so a short period trickles the work.
   */
  ROTATION_SWEEP_INTERVAL_SECONDS: positiveInt(60),
  /** An open request to a site that registers by hand is sent again this often (default 3 days). */
  SITE_REQUEST_REMINDER_SECONDS: positiveInt(259200),
  /** How often every registration is verified against its site with RFC 7592 GET (default 1 day). */
  VERIFY_INTERVAL_SECONDS: positiveInt(24 * 3600),
  /**
   * How often the verify sweep enqueues the registrations due (not verified for VERIFY_INTERVAL_SECONDS;
   * default 1 minute): the fleet is verified in a trickle, not enqueued at once.
   */
  VERIFY_SWEEP_INTERVAL_SECONDS: positiveInt(60),
  /**
   * A sweep run stops enqueueing once the lifecycle queue holds this many pending jobs (waiting,
   * prioritized or delayed; default 5000); the next run continues. Bounds the sweeps' Redis memory
   * (about 1.1 KB a job) whatever the fleet size.
   */
  SWEEP_MAX_WAITING_JOBS: positiveInt(5000),
  /** How often each health system's discovery documents are fetched again (default 6 hours). */
  DISCOVERY_REFRESH_INTERVAL_SECONDS: positiveInt(6 * 3600),
  /** Broker-managed signing keys are replaced this often (default 90 days), by the rotation sweep. */
  SIGNING_KEY_ROTATION_DAYS: positiveInt(90),
  /**
   * A new signing key is published this long before it signs, so sites that cache the JWKS know
   * it first (default 10 minutes). Keep it above every site's JWKS cache time: the broker serves
   * the set with max-age = half of this (at most 300 s), but node-oidc-provider, for one, keeps a
   * client's JWKS at least 60 s whatever Cache-Control says.
   */
  SIGNING_KEY_PUBLISH_SECONDS: positiveInt(600),
  /** An old signing key stays published this long after its successor signs (assertions live ≤ 5 min; default 15 minutes). */
  SIGNING_KEY_RETENTION_SECONDS: positiveInt(900),
  /**
   * Delays between webhook delivery attempts, in ms (docs/webhooks.md). The default follows the
   * Standard Webhooks guidance: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h six times (about 2.8 days).
   */
  WEBHOOK_RETRY_SCHEDULE_MS: commaList
    .pipe(z.array(z.coerce.number<string>().int().positive()).min(1, { message: 'must list at least one delay' }))
    .default([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, ...Array<number>(6).fill(36_000_000)]),
  // Retention (README "Retention"): rows older than these are deleted by the retention sweep,
  // never below the floors in `RETENTION_FLOORS_DAYS`.
  RETENTION_HISTORY_DAYS: positiveInt(400),
  RETENTION_ATTEMPTS_DAYS: positiveInt(400),
  RETENTION_AUDIT_DAYS: positiveInt(2190),
  RETENTION_WEBHOOK_EVENTS_DAYS: positiveInt(30),
  RETENTION_WEBHOOK_DELIVERIES_DAYS: positiveInt(30),
  /** How often the retention sweep runs (default 1 hour). */
  RETENTION_INTERVAL_SECONDS: positiveInt(3600),
  /** Rows deleted per statement; small, so each delete is a short transaction on an index range. */
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Pause between two batches, so retention never holds the database for long (default 100 ms). */
  RETENTION_BATCH_PAUSE_MS: z.coerce.number().int().min(0).max(60_000).default(100),
});

/**
 * Rules across variables, checked on the raw values so that they are reported in the same pass as
 * every other problem (a refinement of the schema runs only once all its fields parsed, so a bad
 * PORT used to hide a missing LOCAL_SECRETS_KEY until the next start).
 */
function crossFieldProblems(source: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const backend = source.SECRETS_BACKEND || 'local';
  if (backend === 'local') {
    const key = source.LOCAL_SECRETS_KEY ? Buffer.from(source.LOCAL_SECRETS_KEY, 'base64') : undefined;
    if (!key || key.length !== 32) {
      problems.push(
        'LOCAL_SECRETS_KEY: must be 32 random bytes in base64 when SECRETS_BACKEND=local (openssl rand -base64 32)',
      );
    }
  }
  if (backend === 'aws' && !source.AWS_REGION) problems.push('AWS_REGION: is required when SECRETS_BACKEND=aws');
  return problems;
}

/** Retention below its floor (checked on the parsed values: the floors follow the webhook retry schedule). */
function retentionProblems(env: z.output<typeof envSchema>): string[] {
  const problems: string[] = [];
  const floors = retentionFloorsDays(env.WEBHOOK_RETRY_SCHEDULE_MS);
  const retention: Array<[keyof typeof floors, number]> = [
    ['RETENTION_HISTORY_DAYS', env.RETENTION_HISTORY_DAYS],
    ['RETENTION_ATTEMPTS_DAYS', env.RETENTION_ATTEMPTS_DAYS],
    ['RETENTION_AUDIT_DAYS', env.RETENTION_AUDIT_DAYS],
    ['RETENTION_WEBHOOK_EVENTS_DAYS', env.RETENTION_WEBHOOK_EVENTS_DAYS],
    ['RETENTION_WEBHOOK_DELIVERIES_DAYS', env.RETENTION_WEBHOOK_DELIVERIES_DAYS],
  ];
  for (const [name, days] of retention) {
    if (days < floors[name]) problems.push(`${name}: must be at least ${floors[name]} days (${FLOOR_REASONS[name]})`);
  }
  if (env.RETENTION_WEBHOOK_DELIVERIES_DAYS > env.RETENTION_WEBHOOK_EVENTS_DAYS) {
    problems.push(
      'RETENTION_WEBHOOK_DELIVERIES_DAYS: must not exceed RETENTION_WEBHOOK_EVENTS_DAYS (an event leaves with its deliveries)',
    );
  }
  return problems;
}

const DAY_MS = 24 * 3600 * 1000;

const FLOOR_REASONS = {
  RETENTION_HISTORY_DAYS: 'a month of state changes explains any open problem',
  RETENTION_ATTEMPTS_DAYS: 'a month of attempts matches possible orphans with the sites',
  RETENTION_AUDIT_DAYS: 'a year of audit trail, the least any health-care audit asks',
  RETENTION_WEBHOOK_EVENTS_DAYS: 'events stay replayable for a week after the last retry',
  RETENTION_WEBHOOK_DELIVERIES_DAYS: 'the delivery log covers every retry and a week after',
} as const;

/**
 * The least each retention may be. Webhook events and their delivery log must outlive the whole
 * retry schedule by a week, so a receiver that was down through every retry can still be replayed.
 */
export function retentionFloorsDays(webhookRetryScheduleMs: number[]): Record<keyof typeof FLOOR_REASONS, number> {
  const webhooks = Math.ceil(webhookRetryScheduleMs.reduce((sum, delay) => sum + delay, 0) / DAY_MS) + 7;
  return {
    RETENTION_HISTORY_DAYS: 30,
    RETENTION_ATTEMPTS_DAYS: 30,
    RETENTION_AUDIT_DAYS: 365,
    RETENTION_WEBHOOK_EVENTS_DAYS: webhooks,
    RETENTION_WEBHOOK_DELIVERIES_DAYS: webhooks,
  };
}

type Env = z.output<typeof envSchema>;

export interface BrokerConfig {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  api: {
    port: number;
    publicBaseUrl: string;
    http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
    authFailures: { limit: number; windowSeconds: number };
  };
  worker: { healthPort: number; concurrency: number; siteConcurrency: number };
  database: { url: string; poolSize: number; preparedStatements: boolean };
  redis: {
    url: string;
    queuePrefix: string;
    /** Seed nodes of a Redis Cluster; absent for a single Redis (or a managed one behind one endpoint). */
    clusterNodes?: Array<{ host: string; port: number }>;
  };
  operatorToken: string;
  secrets: {
    backend: Env['SECRETS_BACKEND'];
    namePrefix: string;
    /** 32-byte AES key for the local store. */
    localKey?: Buffer;
    /** The local store's own database; absent: the main database. */
    localDatabaseUrl?: string;
    aws: { region?: string; endpoint?: string; kmsKeyId?: string };
    writeRatePerSecond: number;
    recoveryWindowDays: number;
    /** In-job wait for the store after a site created a client. */
    storeWaitSeconds: number;
    circuit: { failureThreshold: number; openMs: number };
  };
  reconciler: { intervalSeconds: number; graceSeconds: number };
  outbound: { allowedHosts: string[]; timeoutMs: number; maxResponseBytes: number };
  discovery: { ttlSeconds: number };
  lifecycle: {
    rotationWindowSeconds: number;
    rotationRemainingFraction: number;
    rotationSweepIntervalSeconds: number;
    verifyIntervalSeconds: number;
    verifySweepIntervalSeconds: number;
    /** A sweep run stops enqueueing at this many pending jobs in the lifecycle queue. */
    sweepMaxWaitingJobs: number;
    discoveryRefreshIntervalSeconds: number;
    /** An open request to a site's administrators is re-sent (webhook) this often; checked by the rotation sweep. */
    siteRequestReminderSeconds: number;
  };
  signingKeys: { rotationDays: number; publishSeconds: number; retentionSeconds: number };
  webhooks: { retryScheduleMs: number[] };
  retention: {
    historyDays: number;
    attemptsDays: number;
    auditDays: number;
    webhookEventsDays: number;
    webhookDeliveriesDays: number;
    intervalSeconds: number;
    batchSize: number;
    batchPauseMs: number;
  };
}

export class ConfigError extends Error {
  // A field, not a parameter property: `npm start` loads this file with Node's type stripping to
  // check the configuration before building (scripts/start.mjs).
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(source: Record<string, string | undefined> = process.env): BrokerConfig {
  const parsed = envSchema.safeParse(source);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...crossFieldProblems(source),
    ...(parsed.success ? retentionProblems(parsed.data) : []),
  ];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    api: {
      port: env.PORT,
      publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
      http: {
        headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
      authFailures: { limit: env.AUTH_FAILURE_LIMIT, windowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS },
    },
    worker: {
      healthPort: env.WORKER_HEALTH_PORT,
      concurrency: env.WORKER_CONCURRENCY,
      siteConcurrency: env.SITE_CONCURRENCY,
    },
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
    },
    redis: { url: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX, clusterNodes: env.REDIS_CLUSTER_NODES },
    operatorToken: env.OPERATOR_TOKEN,
    secrets: {
      backend: env.SECRETS_BACKEND,
      namePrefix: env.SECRETS_NAME_PREFIX,
      localKey: env.LOCAL_SECRETS_KEY ? Buffer.from(env.LOCAL_SECRETS_KEY, 'base64') : undefined,
      localDatabaseUrl: env.LOCAL_SECRETS_DATABASE_URL,
      aws: { region: env.AWS_REGION, endpoint: env.SECRETS_MANAGER_ENDPOINT, kmsKeyId: env.SECRETS_KMS_KEY_ID },
      writeRatePerSecond: env.SECRETS_WRITE_RATE_PER_SECOND,
      recoveryWindowDays: env.SECRETS_RECOVERY_WINDOW_DAYS,
      storeWaitSeconds: env.SECRETS_STORE_WAIT_SECONDS,
      circuit: { failureThreshold: env.SECRETS_CIRCUIT_FAILURES, openMs: env.SECRETS_CIRCUIT_OPEN_MS },
    },
    reconciler: { intervalSeconds: env.RECONCILE_INTERVAL_SECONDS, graceSeconds: env.RECONCILE_GRACE_SECONDS },
    outbound: {
      allowedHosts: env.OUTBOUND_ALLOWED_HOSTS,
      timeoutMs: env.OUTBOUND_TIMEOUT_MS,
      maxResponseBytes: env.OUTBOUND_MAX_RESPONSE_BYTES,
    },
    discovery: { ttlSeconds: env.DISCOVERY_TTL_SECONDS },
    lifecycle: {
      rotationWindowSeconds: env.ROTATION_WINDOW_SECONDS,
      rotationRemainingFraction: env.ROTATION_REMAINING_FRACTION,
      rotationSweepIntervalSeconds: env.ROTATION_SWEEP_INTERVAL_SECONDS,
      verifyIntervalSeconds: env.VERIFY_INTERVAL_SECONDS,
      verifySweepIntervalSeconds: env.VERIFY_SWEEP_INTERVAL_SECONDS,
      sweepMaxWaitingJobs: env.SWEEP_MAX_WAITING_JOBS,
      discoveryRefreshIntervalSeconds: env.DISCOVERY_REFRESH_INTERVAL_SECONDS,
      siteRequestReminderSeconds: env.SITE_REQUEST_REMINDER_SECONDS,
    },
    signingKeys: {
      rotationDays: env.SIGNING_KEY_ROTATION_DAYS,
      publishSeconds: env.SIGNING_KEY_PUBLISH_SECONDS,
      retentionSeconds: env.SIGNING_KEY_RETENTION_SECONDS,
    },
    webhooks: { retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE_MS },
    retention: {
      historyDays: env.RETENTION_HISTORY_DAYS,
      attemptsDays: env.RETENTION_ATTEMPTS_DAYS,
      auditDays: env.RETENTION_AUDIT_DAYS,
      webhookEventsDays: env.RETENTION_WEBHOOK_EVENTS_DAYS,
      webhookDeliveriesDays: env.RETENTION_WEBHOOK_DELIVERIES_DAYS,
      intervalSeconds: env.RETENTION_INTERVAL_SECONDS,
      batchSize: env.RETENTION_BATCH_SIZE,
      batchPauseMs: env.RETENTION_BATCH_PAUSE_MS,
    },
  };
}

/** Nest injection token for the loaded `BrokerConfig`. */
export const BROKER_CONFIG = Symbol('BrokerConfig');
