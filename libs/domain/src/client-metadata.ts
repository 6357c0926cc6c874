import { z } from 'zod';

/**
 * RFC 7591 client metadata as a tenant may request it, with the extra rules SMART App
 * Launch and the broker add. Parsed with `parseClientMetadata`, which returns every problem
 * at once. The same schema is used for requests (API) and for stored documents (worker).
 */

export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export const GRANT_TYPES = ['authorization_code', 'client_credentials', 'refresh_token'] as const;
export const RESPONSE_TYPES = ['code'] as const;

const MAX_URI_LENGTH = 2048;
const MAX_TEXT_LENGTH = 512;
const MAX_LIST_LENGTH = 50;
/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces. */
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** An absolute https URL (RFC 7591 §2 requires https for the informational URIs too). */
const httpsUrl = z
  .string()
  .max(MAX_URI_LENGTH)
  .refine((value) => parseUrl(value)?.protocol === 'https:', { message: 'must be an absolute https URL' });

/**
 * RFC 7591 §2 + RFC 8252 §7.3: redirect URIs are absolute, carry no fragment, and use
 * https unless they point at the loopback interface (native apps).
 */
const redirectUri = z
  .string()
  .max(MAX_URI_LENGTH)
  .superRefine((value, ctx) => {
    const url = parseUrl(value);
    if (!url) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URI' });
      return;
    }
    if (value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment' });
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'http is only allowed for loopback redirect URIs' });
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must use https (or http on loopback)' });
    }
  });

const jwk = z.looseObject({ kty: z.string().min(1).max(16) }).refine((key) => !('d' in key), {
  message: 'must be a public key (no private "d" member)',
});

export const clientMetadataSchema = z
  .strictObject({
    client_name: z.string().trim().min(1).max(MAX_TEXT_LENGTH),
    redirect_uris: z.array(redirectUri).max(MAX_LIST_LENGTH).optional(),
    token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default('client_secret_basic'),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length).default(['authorization_code']),
    response_types: z.array(z.enum(RESPONSE_TYPES)).max(RESPONSE_TYPES.length).optional(),
    scope: z
      .string()
      .max(4096)
      .regex(SCOPE_SYNTAX, { message: 'must be space-separated scope tokens (RFC 6749 §3.3)' })
      .optional(),
    contacts: z.array(z.email().max(MAX_TEXT_LENGTH)).max(MAX_LIST_LENGTH).optional(),
    client_uri: httpsUrl.optional(),
    logo_uri: httpsUrl.optional(),
    /** OpenID Connect Registration's login initiation URI: a SMART app's launch URL (EHR launch). */
    initiate_login_uri: httpsUrl.optional(),
    tos_uri: httpsUrl.optional(),
    policy_uri: httpsUrl.optional(),
    jwks_uri: httpsUrl.optional(),
    jwks: z.strictObject({ keys: z.array(jwk).min(1).max(10) }).optional(),
    software_id: z.string().min(1).max(MAX_TEXT_LENGTH).optional(),
    software_version: z.string().min(1).max(MAX_TEXT_LENGTH).optional(),
    id_token_signed_response_alg: z.string().max(16).optional(),
  })
  .superRefine((metadata, ctx) => {
    const grants = new Set(metadata.grant_types);
    if (new Set(metadata.grant_types).size !== metadata.grant_types.length) {
      ctx.addIssue({ code: 'custom', path: ['grant_types'], message: 'must not repeat a grant type' });
    }
    const usesCode = grants.has('authorization_code');
    // RFC 7591 §2.1: authorization_code goes with response type "code" and needs redirect URIs.
    if (usesCode && !metadata.redirect_uris?.length) {
      ctx.addIssue({ code: 'custom', path: ['redirect_uris'], message: 'required for the authorization_code grant' });
    }
    if (metadata.response_types?.includes('code') && !usesCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['response_types'],
        message: 'response type "code" requires the authorization_code grant',
      });
    }
    if (usesCode && metadata.response_types && !metadata.response_types.includes('code')) {
      ctx.addIssue({
        code: 'custom',
        path: ['response_types'],
        message: 'the authorization_code grant requires response type "code"',
      });
    }
    if (grants.has('refresh_token') && !usesCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['grant_types'],
        message: 'refresh_token is only meaningful with authorization_code',
      });
    }
    if (grants.has('client_credentials') && metadata.token_endpoint_auth_method === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['token_endpoint_auth_method'],
        message: 'client_credentials requires a confidential client (not "none")',
      });
    }
    if (metadata.jwks && metadata.jwks_uri) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'jwks and jwks_uri must not both be present' });
    }
  })
  .transform((metadata) => ({
    ...metadata,
    response_types:
      metadata.response_types ?? (metadata.grant_types.includes('authorization_code') ? ['code' as const] : []),
  }));

export type ClientMetadata = z.output<typeof clientMetadataSchema>;
export type ClientMetadataInput = z.input<typeof clientMetadataSchema>;
