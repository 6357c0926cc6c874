import { SpanStatusCode, isSpanContextValid, trace, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces, off unless the standard OTEL_* variables ask for an exporter:
 * `OTEL_TRACES_EXPORTER=otlp` (or `console`), or an `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`.
 * When off, the SDK is never loaded: `@opentelemetry/api` alone answers with no-op spans.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporters = exportersOf(env);
  return exporters.length > 0 && !exporters.includes('none');
}

function exportersOf(env: NodeJS.ProcessEnv): string[] {
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (named.length > 0) return named;
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT ? ['otlp'] : [];
}

let stop: (() => Promise<void>) | undefined;

/**
 * Starts the SDK for this process (`OTEL_SERVICE_NAME` or `serviceName`). Call it before the
 * application's modules are imported: the instrumentations of http (inbound and the outbound
 * safe-http client), undici (fetch), pg and ioredis hook those modules as they load.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!tracingEnabled(env) || stop) return false;
  const { register } = await import('node:module');
  // ESM modules are patched by import-in-the-middle's loader hook, CommonJS ones (pg) by require hooks.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [api, sdk, resources, core, contextHooks, instrumentation, http, undici, pg, ioredis] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);

  const exporters: import('@opentelemetry/sdk-trace').SpanExporter[] = [];
  for (const name of exportersOf(env)) {
    if (name === 'otlp') {
      // Reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT itself (OTLP/HTTP, JSON).
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      exporters.push(new OTLPTraceExporter());
    } else if (name === 'console') {
      exporters.push(new sdk.ConsoleSpanExporter());
    } else {
      console.warn(`OTEL_TRACES_EXPORTER=${name} is not supported here (otlp, console or none); ignored`);
    }
  }
  const scheduledDelayMillis = Number(env.OTEL_BSP_SCHEDULE_DELAY) || 5_000;
  const provider = new sdk.TracerProvider({
    resource: resources
      .resourceFromAttributes({ 'service.name': serviceName })
      .merge(resources.detectResources({ detectors: [resources.envDetector] })),
    spanProcessors: [
      // First: every exporter below sees the scrubbed attributes.
      new SecretScrubbingSpanProcessor(),
      ...exporters.map((exporter) => new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis })),
    ],
  });
  api.trace.setGlobalTracerProvider(provider);
  api.context.setGlobalContextManager(new contextHooks.AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());

  const quiet = new Set(['/health/live', '/health/ready', '/metrics']);
  instrumentation.registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new http.HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => quiet.has((request.url ?? '').split('?')[0]!),
      }),
      new undici.UndiciInstrumentation(),
      // Queries are parameterised: the statement text carries placeholders, never values.
      new pg.PgInstrumentation({
        requireParentSpan: true,
        // Prepared statements carry generated names: name the span by its SQL verb instead.
        requestHook: (span, { query }) => span.updateName(`pg.query ${sqlVerb(query.text)}`),
      }),
      // BullMQ polls Redis all the time: only commands inside a traced operation are recorded,
      // and by command name alone (arguments can be job payloads or keys).
      new ioredis.IORedisInstrumentation({
        requireParentSpan: true,
        dbStatementSerializer: (command) => command,
      }),
    ],
  });
  stop = () => provider.shutdown();
  return true;
}

function sqlVerb(text: string): string {
  return /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
}

/** Exports the spans still buffered; the processes call it before exiting. */
export async function stopTracing(): Promise<void> {
  await stop?.().catch(() => undefined);
}

const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target', 'url.original'];
const DROPPED_ATTRIBUTE =
  /^(url\.query$|http\.(request|response)\.header\.(authorization|cookie|set-cookie|x-api-key)$)/;

/**
 * Never a secret in a span: query strings (an `initial_access_token`, a signed URL) and
 * credential headers are removed from every span before any exporter sees it, whichever
 * instrumentation recorded them. One rule for all instrumentations.
 */
export class SecretScrubbingSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    scrubAttributes(span.attributes as Attributes);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function scrubAttributes(attributes: Attributes): Attributes {
  for (const key of Object.keys(attributes)) {
    if (DROPPED_ATTRIBUTE.test(key.toLowerCase())) delete attributes[key];
  }
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string' && value.includes('?')) attributes[key] = value.slice(0, value.indexOf('?'));
  }
  return attributes;
}

const tracer = trace.getTracer('smart-registration-broker');

/** Runs `work` in a span of its own (a no-op when tracing is off); failures mark the span. */
export async function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `trace_id`/`span_id` of the active span for log lines; nothing when no span is active. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}
