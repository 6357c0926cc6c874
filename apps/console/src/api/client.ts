import type { Middleware } from 'openapi-fetch';
import { createBrokerClient } from '../../../../libs/api-client/src/index';

/** An answer of the API that is not 2xx, with its RFC 9457 problem details when it sent them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly errors: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

let token: string | null = null;
let onUnauthenticated: () => void = () => undefined;

/** Sets the bearer token every request carries, and what to do when the API no longer accepts it. */
export function authenticate(value: string | null, signOut: () => void = () => undefined): void {
  token = value;
  onUnauthenticated = signOut;
}

const bearer: Middleware = {
  onRequest({ request }) {
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

/**
 * The generated, typed client of the broker's public API (libs/api-client), same origin: the
 * console is served by the API. The token is the signed-in session's, so it is set per request.
 */
export const client = createBrokerClient({ baseUrl: window.location.origin });
client.use(bearer);

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: Array<{ path: string; message: string }>;
}

/**
 * Unwraps an openapi-fetch result: the data of a 2xx, or an ApiError in words. A 401 signs the
 * person out (a revoked key, a changed operator token).
 */
export async function data<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: Promise<R>,
): Promise<NonNullable<R['data']>> {
  const { data: body, error, response } = await call;
  if (response.ok) return body as NonNullable<R['data']>;
  const problem = (error ?? {}) as Problem;
  if (response.status === 401) onUnauthenticated();
  throw new ApiError(
    response.status,
    problem.code,
    problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`,
    problem.errors ?? [],
  );
}
