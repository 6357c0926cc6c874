import type { ApiHarness } from './api-harness.js';

/** One operation of the live OpenAPI document. */
export interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path template, e.g. `/v1/apps/{appId}`. */
  template: string;
  /** `operator`, `tenant`, `healthSystem` (a site administrator key), or null for a public route. */
  auth: 'operator' | 'tenant' | 'healthSystem' | null;
  hasBody: boolean;
  parameters: string[];
  queryParameters: string[];
}

interface Operation {
  security?: Array<Record<string, unknown>>;
  requestBody?: unknown;
  parameters?: Array<{ name: string; in: string }>;
}

/**
 * Every operation the API documents at /docs-json. Tests generated from this list cover a new
 * route the day it is added, without anyone writing a test for it.
 */
export async function documentedRoutes(api: ApiHarness): Promise<Route[]> {
  const document = (await api.http().get('/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, Operation>>;
  };
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const schemes = (operation.security ?? []).flatMap((entry) => Object.keys(entry));
      routes.push({
        method: method as Route['method'],
        template,
        auth: schemes.includes('operator')
          ? 'operator'
          : schemes.includes('tenant')
            ? 'tenant'
            : schemes.includes('healthSystem')
              ? 'healthSystem'
              : null,
        hasBody: operation.requestBody !== undefined,
        parameters: [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!),
        queryParameters: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  return routes;
}

/**
 * The kind of object a path parameter names: the parameter's own name (`appId` -> apps) or, for
 * a bare `{id}`, the collection segment before it (`/v1/registrations/{id}` -> registrations).
 */
export function resourceOf(template: string, parameter: string): string {
  const named: Record<string, string> = {
    appId: 'apps',
    tenantId: 'tenants',
    keyId: 'api-keys',
    endpointId: 'webhooks',
    eventId: 'events',
  };
  if (named[parameter]) return named[parameter]!;
  const segments = template.split('/');
  const index = segments.indexOf(`{${parameter}}`);
  return segments[index - 1] ?? parameter;
}

/** The path with each parameter replaced by `idFor(resource)`. */
export function fillPath(route: Route, idFor: (resource: string, parameter: string) => string): string {
  return route.template.replace(/\{(\w+)\}/g, (_whole, parameter: string) =>
    encodeURIComponent(idFor(resourceOf(route.template, parameter), parameter)),
  );
}

export const label = (route: Route) => `${route.method.toUpperCase()} ${route.template}`;
