import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bullmq';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { BrokerConfig } from '#config';
import { QueueName } from '#queue';

const ROUTE = '/admin/queues';
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The operator's guard for the dashboard, which a browser opens: the operator token as a
 * Bearer token, or as the password of HTTP Basic authentication (any user name).
 */
function operatorOnly(config: BrokerConfig) {
  const expected = digest(config.operatorToken);
  return (request: Request, response: Response, next: NextFunction) => {
    const [scheme = '', value = ''] = (request.headers.authorization ?? '').split(' ');
    const presented =
      scheme.toLowerCase() === 'bearer'
        ? value
        : scheme.toLowerCase() === 'basic'
          ? Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':')
          : '';
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    response.setHeader('WWW-Authenticate', 'Basic realm="broker queues"');
    response
      .status(401)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated' }));
  };
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
