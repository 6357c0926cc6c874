import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

/**
 * A typed client of the broker's API, generated from its OpenAPI document
 * (`npm run api-client:generate`; test/api-contract.e2e-spec.ts fails when the live document and
 * this client disagree). Works in browsers (the console) and Node alike: it only needs `fetch`.
 *
 *   const broker = createBrokerClient({ baseUrl: 'http://localhost:3000', token: 'srb_...' });
 *   const { data, error } = await broker.GET('/v1/registrations', { params: { query: { state: 'failed' } } });
 *
 * `error` is the problem document (RFC 9457) of a 4xx/5xx answer.
 */
export type { components, paths } from './schema.js';
export type BrokerClient = Client<paths>;
export type Problem = components['schemas']['Problem'];
export type Schemas = components['schemas'];

export interface BrokerClientOptions {
  /** Where the API is, e.g. `http://localhost:3000`; '' for the same origin (the console). */
  baseUrl: string;
  /** An operator token, a tenant key (`srb_...`) or a health-system key (`srbh_...`). */
  token?: string;
  fetch?: typeof fetch;
}

export function createBrokerClient(options: BrokerClientOptions): BrokerClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (options.token) client.use(bearer(options.token));
  return client;
}

/** Sends the credential the way the API takes it: an Authorization header, never the query string. */
const bearer = (token: string): Middleware => ({
  onRequest({ request }) {
    request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
});
