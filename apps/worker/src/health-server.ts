import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import type { PrismaService } from '#persistence';
import type { SecretStoreCanary } from '#secrets';

/**
 * The worker has no HTTP API; this tiny server answers the orchestrator's probes
 * (`/health/live`, `/health/ready`) and, later, Prometheus (`/metrics`).
 */
export interface HealthServerDeps {
  prisma: PrismaService;
  redis: Redis;
  /** AWS mode: the secret store canary (its result is cached, so probes stay cheap). */
  secretStoreCanary?: SecretStoreCanary | null;
  extraRoutes?: Record<string, () => Promise<{ status: number; contentType: string; body: string }>>;
}

async function ready({
  prisma,
  redis,
  secretStoreCanary,
}: HealthServerDeps): Promise<{ up: boolean; reason?: string }> {
  try {
    await Promise.all([prisma.$queryRaw`SELECT 1`, redis.ping()]);
  } catch {
    return { up: false };
  }
  const canary = await secretStoreCanary?.status();
  return canary && !canary.ok ? { up: false, reason: canary.reason } : { up: true };
}

export function startHealthServer(port: number, deps: HealthServerDeps): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = request.url?.split('?')[0] ?? '/';
    if (path === '/health/live') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}');
    } else if (path === '/health/ready') {
      const { up, reason } = await ready(deps);
      response
        .writeHead(up ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: up ? 'up' : 'down', ...(reason ? { secretStore: reason } : {}) }));
    } else if (deps.extraRoutes?.[path]) {
      const result = await deps.extraRoutes[path]();
      response.writeHead(result.status, { 'content-type': result.contentType }).end(result.body);
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '0.0.0.0', () => resolve(server)));
}
