/**
 * The part of oidc-provider 9's API that the sandbox uses. The package ships no type
 * declarations and no `@types/oidc-provider` is installed, so this file declares just enough,
 * checked against node_modules/oidc-provider/lib (provider.js, models/client.js,
 * actions/registration.js, helpers/oidc_context.js).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type ClientMetadata = Record<string, unknown>;

  /** What an adapter stores: a model's payload (a client's metadata, a token's claims...). */
  export type AdapterPayload = Record<string, unknown>;

  /** The storage interface oidc-provider calls, one instance per model name ('Client', ...). */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientInstance {
    readonly clientId: string;
    metadata(): ClientMetadata;
  }

  export interface RegistrationAccessTokenInstance {
    readonly policies?: string[];
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface OIDCContext {
    readonly provider: Provider;
    readonly route: string;
    /** The parsed JSON body of a registration or update request. */
    readonly body?: ClientMetadata;
    readonly client?: ClientInstance;
    readonly entities: { RegistrationAccessToken?: RegistrationAccessTokenInstance };
  }

  export interface KoaContextWithOIDC {
    status: number;
    body: unknown;
    readonly method: string;
    readonly oidc?: OIDCContext;
    /** A request header (Koa). */
    get(field: string): string;
    /** Removes a response header (Koa). */
    remove(field: string): void;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface Configuration {
    adapter?: (name: string) => Adapter;
    jwks?: { keys: Record<string, unknown>[] };
    cookies?: { keys: string[] };
    scopes?: Iterable<string>;
    clientAuthMethods?: string[];
    enabledJWA?: { clientAuthSigningAlgValues?: string[] };
    extraClientMetadata?: {
      properties: string[];
      validator?: (ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: ClientMetadata) => void;
    };
    fetch?: (url: URL | string, options: RequestInit & { dispatcher?: unknown }) => Promise<Response>;
    features?: Record<string, Record<string, unknown>>;
    clockTolerance?: number;
    ttl?: Record<string, number>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    proxy: boolean;
    readonly issuer: string;
    readonly Client: {
      find(id: string): Promise<ClientInstance | undefined>;
      /** Throws `InvalidClientMetadata` when the metadata is not acceptable. */
      validate(metadata: ClientMetadata): Promise<void>;
    };
    readonly RegistrationAccessToken: new (init: {
      client: ClientInstance;
      policies?: string[];
    }) => RegistrationAccessTokenInstance;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: Middleware): void;
    on(event: 'server_error', listener: (ctx: KoaContextWithOIDC, error: Error) => void): this;
  }

  export const errors: {
    InvalidClientMetadata: new (description: string) => Error & { error: string; error_description: string };
    InvalidRedirectUri: new (description: string) => Error & { error: string; error_description: string };
  };
}
