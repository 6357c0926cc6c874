import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { problem, sendProblem } from '../http/problem-details.filter.js';

/** The route of the web console; its Content-Security-Policy is set with the others in http/security.ts. */
export const CONSOLE_ROUTE = '/console';

/** Only what the console build writes (scripts/build-console.mjs): no path reaches outside its folder. */
const ASSET = /^(?:[a-z0-9-]+\.(?:js|css)(?:\.map)?|index\.html)$/;

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * The repository root: the first folder above this module holding package.json (the module runs
 * from apps/api/src/console under Jest and from dist/apps/api/src/console when built).
 */
function repositoryRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/**
 * Serves the built console (dist/console) at /console: index.html for `/console` and
 * `/console/`, the bundle's files by name. Files are read per request (a handful of small
 * files), so a console rebuilt while the API runs is served at once. Without a build the
 * answer says how to make one.
 */
export function mountConsole(app: NestExpressApplication, folder = join(repositoryRoot(), 'dist', 'console')): void {
  const serve = async (request: Request, response: Response, name: string) => {
    try {
      const body = await readFile(join(folder, name));
      response.status(200).type(CONTENT_TYPES[name.split('.').pop()!]!);
      response.send(request.method === 'HEAD' ? undefined : body);
    } catch {
      const missing = !existsSync(join(folder, 'index.html'));
      sendProblem(response, {
        ...(missing
          ? problem(
              503,
              'console_not_built',
              'the console is not built: run `npm run build` (or `node scripts/build-console.mjs`)',
            )
          : problem(404, 'not_found', `no console file ${name}`)),
        instance: request.originalUrl.split('?')[0],
      });
    }
  };
  app.use(CONSOLE_ROUTE, (request: Request, response: Response, next: () => void) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const name = request.path === '/' ? 'index.html' : request.path.slice(1);
    if (!ASSET.test(name)) {
      return sendProblem(response, {
        ...problem(404, 'not_found', 'no such console file'),
        instance: request.originalUrl.split('?')[0],
      });
    }
    void serve(request, response, name);
  });
}
