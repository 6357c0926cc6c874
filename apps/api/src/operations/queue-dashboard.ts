import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import type { BrokerConfig } from '#config';
import { QueueName } from '#queue';
import { bearerToken } from '../auth/bearer-token.js';
import { operatorTokenMatcher } from '../auth/operator.guard.js';

const ROUTE = '/admin/queues';

/**
 * The operator's guard for the dashboard, which a browser opens: the operator token as a
 * Bearer token, or as the password of HTTP Basic authentication (any user name).
 */
function operatorOnly(config: BrokerConfig) {
  const matches = operatorTokenMatcher(config);
  return (request: Request, response: Response, next: NextFunction) => {
    if (matches(bearerToken(request)) || matches(basicPassword(request))) return next();
    response.setHeader('WWW-Authenticate', 'Basic realm="broker queues"');
    response
      .status(401)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated' }));
  };
}

function basicPassword(request: Request): string | null {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(request.headers.authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/**
 * Bull Board at /admin/queues: every queue, behind the operator token. Mounted on Express
 * directly (its Nest wrapper is CommonJS that `require`s Nest's ESM packages).
 */
export function mountQueueDashboard(app: NestExpressApplication, config: BrokerConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ROUTE);
  createBullBoard({
    queues: Object.values(QueueName).map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)))),
    serverAdapter,
  });
  app.use(ROUTE, operatorOnly(config), serverAdapter.getRouter());
}
