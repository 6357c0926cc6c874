import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics. One registry per process (module singletons), exposed
 * at `/metrics` by the API and by the worker's health server. Label values are bounded:
 * hosts of configured health systems, queue and job names, fixed outcome words.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'broker_' });

export const jobDuration = new Histogram({
  name: 'broker_job_duration_seconds',
  help: 'Queue job run time by queue, job name and outcome (completed, retry, failed, delayed).',
  labelNames: ['queue', 'job', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});

export const outboundRequests = new Counter({
  name: 'broker_outbound_requests_total',
  help: 'Outbound HTTP calls (discovery, registration, management, token, webhooks) by host and result.',
  labelNames: ['host', 'result'] as const,
  registers: [metricsRegistry],
});

export const outboundDuration = new Histogram({
  name: 'broker_outbound_request_duration_seconds',
  help: 'Outbound HTTP call duration by host.',
  labelNames: ['host'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const secretStoreCalls = new Counter({
  name: 'broker_secret_store_calls_total',
  help: 'Secret store calls by backend, operation and result.',
  labelNames: ['backend', 'operation', 'result'] as const,
  registers: [metricsRegistry],
});

/** Registrations by state, read from PostgreSQL when scraped (set `registrationStateSource`). */
let registrationStateSource: (() => Promise<Record<string, number>>) | undefined;
export function setRegistrationStateSource(source: () => Promise<Record<string, number>>): void {
  registrationStateSource = source;
}

new Gauge({
  name: 'broker_registrations',
  help: 'Registrations by state (all tenants).',
  labelNames: ['state'] as const,
  registers: [metricsRegistry],
  async collect() {
    if (!registrationStateSource) return;
    this.reset();
    for (const [state, count] of Object.entries(await registrationStateSource())) this.set({ state }, count);
  },
});

/** Records one outbound call (the safe HTTP client's `onResponse` hook). */
export function recordOutboundCall(event: { host: string; status?: number; error?: string; durationMs: number }): void {
  const result = event.error ?? (event.status ? `${Math.floor(event.status / 100)}xx` : 'unknown');
  outboundRequests.inc({ host: event.host, result });
  outboundDuration.observe({ host: event.host }, event.durationMs / 1000);
}
