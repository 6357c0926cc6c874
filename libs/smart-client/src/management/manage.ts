import { SecretValue } from '#domain';
import { errorFromResponse, send, SmartClientError, type SmartOperation } from '../errors.js';
import type { SafeHttpClient, SafeHttpResponse } from '../http/safe-http.js';
import { diffMetadata, type MetadataDifference } from '../registration/diff-metadata.js';
import { canonicalMetadata } from '../registration/normalise.js';
import {
  metadataOf,
  parseClientInformation,
  type ClientInformation,
  type ManagementAccess,
} from '../registration/register.js';

/**
 * RFC 7592 client configuration endpoint: read, update, delete.
 *
 * Any response MAY carry a new registration access token or client secret, and the old token
 * may stop working at once (Keycloak rotates it on every GET and PUT, ORY Hydra on PUT,
 * node-oidc-provider on PUT when `rotateRegistrationAccessToken` is on). Losing one means
 * losing control of the client. So every operation takes `onCredentialsChanged`, which is
 * awaited as soon as a response brings new credentials: BEFORE the next request (the PUT
 * after the GET inside `updateClient`) and before the operation returns. A callback, rather
 * than only a return value, because a later step can fail: if the PUT fails after the GET
 * rotated the token, a returned value would be lost with the exception; the callback has
 * already stored it. If the callback throws, nothing more is sent and its error propagates.
 * Results also carry the final `access`, for convenience.
 */

/** New credentials a management response brought; only the members that changed. */
export interface CredentialsChange {
  registrationAccessToken?: SecretValue;
  registrationClientUri?: string;
  clientSecret?: SecretValue;
  /** Comes with `clientSecret`; 0 = never expires. */
  clientSecretExpiresAt?: number;
}

export type OnCredentialsChanged = (change: CredentialsChange) => Promise<void> | void;

export interface ManagementRequest {
  access: ManagementAccess;
  onCredentialsChanged: OnCredentialsChanged;
  /**
   * The secret the caller holds. A response's `client_secret` is reported only when it differs
   * (node-oidc-provider returns the unchanged secret on every GET). Without it, any returned
   * secret is reported.
   */
  knownClientSecret?: SecretValue;
  /** The client's id: thin answers that omit `client_id` still describe this client. */
  clientId?: string;
}

/**
 * RFC 7592 §2.1/§2.3: 401 when the client does not exist (its token was revoked with it), 404
 * from servers that say so plainly. Either way there is nothing left to manage. A 401 cannot
 * be told apart from a wrong token; the caller that holds the latest token may treat it as gone.
 */
export interface Gone {
  outcome: 'gone';
  httpStatus: number;
}

export interface ReadResult {
  outcome: 'found';
  clientId: string;
  /** Registered metadata without credentials, canonical; members the answer omitted are absent (unknown). */
  metadata: Record<string, unknown>;
  /** Members no RFC defines, kept aside. */
  extras: Record<string, unknown>;
  /** As answered; undefined when the answer did not say (unchanged / unknown). */
  clientSecretExpiresAt?: number;
  /** The access to use next (rotated or not). */
  access: ManagementAccess;
}

export interface UpdateRequest extends ManagementRequest {
  /**
   * RFC 7592 §2.2: the FULL metadata the client should have (a PUT replaces everything, omitted
   * members are removed). Sent in canonical RFC 7591 shape with `client_id`; never an echo of
   * the server's own answer (servers refuse their own array shapes and vendor members).
   */
  metadata: Readonly<Record<string, unknown>>;
  /**
   * RFC 7592 §2.2: the client MAY send its secret, which MUST then match. Sent only when given
   * (and only to servers that insist), so the secret is not spread further than needed.
   */
  clientSecret?: SecretValue;
}

export interface UpdateResult {
  outcome: 'updated';
  clientId: string;
  /** The metadata sent in the PUT (without credentials). */
  requested: Record<string, unknown>;
  /** The metadata the server kept: what it answered, and what was sent for members it did not mention. */
  granted: Record<string, unknown>;
  differences: MetadataDifference[];
  /** As answered; undefined when the answer did not say. */
  clientSecretExpiresAt?: number;
  /** The answer carried no client information (empty body or 204): the server said nothing about the result. */
  emptyAnswer: boolean;
  access: ManagementAccess;
}

/** RFC 7592 §2.2: members the client must not send in a PUT (node-oidc-provider refuses them). */
const READ_ONLY_FIELDS = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
  'client_secret',
];

const isGone = (status: number) => status === 401 || status === 404 || status === 410;

/** Tracks the current credentials through one operation and reports every change at once. */
class CredentialTracker {
  access: ManagementAccess;
  clientId?: string;
  private secret?: SecretValue;

  constructor(private readonly request: ManagementRequest) {
    this.access = request.access;
    this.secret = request.knownClientSecret;
    this.clientId = request.clientId;
  }

  async absorb(information: ClientInformation): Promise<void> {
    const change: CredentialsChange = {};
    const token = information.registration_access_token;
    if (token !== undefined && token !== this.access.registrationAccessToken.reveal()) {
      change.registrationAccessToken = new SecretValue(token);
    }
    const uri = information.registration_client_uri;
    if (uri !== undefined && uri !== this.access.registrationClientUri) change.registrationClientUri = uri;
    const secret = information.client_secret;
    if (secret !== undefined && secret !== this.secret?.reveal()) {
      change.clientSecret = new SecretValue(secret);
      change.clientSecretExpiresAt = information.client_secret_expires_at;
    }
    if (Object.keys(change).length === 0) return;
    await this.request.onCredentialsChanged(change);
    this.access = {
      registrationAccessToken: change.registrationAccessToken ?? this.access.registrationAccessToken,
      registrationClientUri: change.registrationClientUri ?? this.access.registrationClientUri,
    };
    this.secret = change.clientSecret ?? this.secret;
  }
}

async function call(
  http: SafeHttpClient,
  operation: SmartOperation,
  access: ManagementAccess,
  method: 'GET' | 'PUT' | 'DELETE',
  json?: unknown,
): Promise<SafeHttpResponse> {
  return send(operation, () =>
    http.request({ method, url: access.registrationClientUri, bearerToken: access.registrationAccessToken, json }),
  );
}

/** A 2xx body, or undefined when the server sent none (204, or 200 with an empty body). */
function informationOf(
  operation: 'read' | 'update',
  response: SafeHttpResponse,
  knownClientId: string | undefined,
): ClientInformation | undefined {
  if (response.body.length === 0 || response.body.toString('utf8').trim() === '') return undefined;
  return parseClientInformation(operation, () => response.json(), response.status, knownClientId);
}

async function readWith(http: SafeHttpClient, tracker: CredentialTracker): Promise<ReadResult | Gone> {
  const response = await call(http, 'read', tracker.access, 'GET');
  if (isGone(response.status)) return { outcome: 'gone', httpStatus: response.status };
  if (!response.ok) throw errorFromResponse('read', response);
  const information = informationOf('read', response, tracker.clientId);
  if (information) await tracker.absorb(information);
  const clientId = information?.client_id ?? tracker.clientId;
  if (!clientId) {
    throw new SmartClientError('read', {
      error: 'invalid_response',
      errorDescription: 'the RFC 7592 read answered without a body or client_id',
      httpStatus: response.status,
      retryable: true,
    });
  }
  tracker.clientId = clientId;
  return {
    outcome: 'found',
    clientId,
    metadata: information ? metadataOf(information) : {},
    extras: information?.extras ?? {},
    clientSecretExpiresAt: information?.client_secret_expires_at,
    access: tracker.access,
  };
}

/** RFC 7592 §2.1: the client's current registration. */
export function readClient(http: SafeHttpClient, request: ManagementRequest): Promise<ReadResult | Gone> {
  return readWith(http, new CredentialTracker(request));
}

/**
 * RFC 7592 §2.2: reads the registration (to learn a rotated registration access token and that
 * the client still exists), then PUTs `client_id` and the full canonical metadata wanted.
 * Credential members are never sent; the secret only when given.
 */
export async function updateClient(http: SafeHttpClient, request: UpdateRequest): Promise<UpdateResult | Gone> {
  const tracker = new CredentialTracker(request);
  const current = await readWith(http, tracker);
  if (current.outcome === 'gone') return current;

  const sent = canonicalMetadata(request.metadata);
  for (const field of READ_ONLY_FIELDS) delete sent[field];
  delete sent.client_id;
  const body: Record<string, unknown> = { ...sent, client_id: current.clientId };
  if (request.clientSecret) body.client_secret = request.clientSecret.reveal();

  const response = await call(http, 'update', tracker.access, 'PUT', body);
  if (isGone(response.status)) return { outcome: 'gone', httpStatus: response.status };
  if (!response.ok) throw errorFromResponse('update', response);
  const information = informationOf('update', response, current.clientId);
  if (information) await tracker.absorb(information);
  // A thin answer says nothing about the members it omits: they are as sent.
  const granted = { ...sent, ...(information ? metadataOf(information) : {}) };
  return {
    outcome: 'updated',
    clientId: information?.client_id ?? current.clientId,
    requested: sent,
    granted,
    differences: diffMetadata(sent, granted),
    clientSecretExpiresAt: information?.client_secret_expires_at,
    emptyAnswer: !information,
    access: tracker.access,
  };
}

/**
 * RFC 7592 §2.3: deletes the client. 204 per the RFC; any 2xx (200 with or without a body) is
 * taken as deleted. A client already gone counts as deleted by the caller.
 */
export async function deleteClient(
  http: SafeHttpClient,
  request: Omit<ManagementRequest, 'onCredentialsChanged' | 'knownClientSecret'>,
): Promise<{ outcome: 'deleted' } | Gone> {
  const response = await call(http, 'delete', request.access, 'DELETE');
  if (isGone(response.status)) return { outcome: 'gone', httpStatus: response.status };
  if (!response.ok) throw errorFromResponse('delete', response);
  return { outcome: 'deleted' };
}
