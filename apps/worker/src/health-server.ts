import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import type { PrismaService } from '#persistence';

/**
 * The worker has no HTTP API; this tiny server answers the orchestrator's probes
 * (`/health/live`, `/health/ready`) and, later, Prometheus (`/metrics`).
 */
export interface HealthServerDeps {
  prisma: PrismaService;
  redis: Redis;
  extraRoutes?: Record<string, () => Promise<{ status: number; contentType: string; body: string }>>;
}

async function ready({ prisma, redis }: HealthServerDeps): Promise<boolean> {
  try {
    await Promise.all([prisma.$queryRaw`SELECT 1`, redis.ping()]);
    return true;
  } catch {
    return false;
  }
}

export function startHealthServer(port: number, deps: HealthServerDeps): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = request.url?.split('?')[0] ?? '/';
    if (path === '/health/live') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}');
    } else if (path === '/health/ready') {
      const up = await ready(deps);
      response
        .writeHead(up ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: up ? 'up' : 'down' }));
    } else if (deps.extraRoutes?.[path]) {
      const result = await deps.extraRoutes[path]();
      response.writeHead(result.status, { 'content-type': result.contentType }).end(result.body);
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '0.0.0.0', () => resolve(server)));
}
