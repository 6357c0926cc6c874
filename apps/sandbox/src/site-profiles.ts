import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { siteQuirksSchema, type SiteQuirks } from './site-quirks.js';

/**
 * Each profile imitates a way real EHR authorization servers differ, so the broker is tested
 * against all of them:
 * - `open`: RFC 7591 registration without a token, RFC 7592 management, stable registration access token.
 * - `iat`: registration needs an initial access token (RFC 7591 §3; Epic/Cerner-style onboarding).
 * - `expiring-secrets`: client secrets expire (`client_secret_expires_at`); an RFC 7592 PUT issues a new one.
 * - `rotating-rat`: a new registration access token on every RFC 7592 GET and PUT (Keycloak behaves so).
 * - `narrowing-scopes`: the server grants fewer scopes than asked and replaces `client_secret_post` by
 *   `client_secret_basic` (RFC 7591 §3.2.1 allows the server to replace any value).
 * - `no-management`: RFC 7591 only, no registration access token (Medplum-like).
 * - `metadata-only`: no `.well-known` discovery; endpoints only in the FHIR CapabilityStatement (older servers).
 * - `flaky`: some registration requests fail with 429 (Retry-After) or 503 and create nothing.
 * - `slow`: every response is delayed.
 * - `manual`: no RFC 7591 registration endpoint at all (many EHRs): clients are created by hand, here
 *   through the sandbox operator API (`POST /sandbox/sites/{site}/clients`), as an EHR admin would.
 */
export const SITE_PROFILES = [
  'open',
  'iat',
  'expiring-secrets',
  'rotating-rat',
  'narrowing-scopes',
  'no-management',
  'metadata-only',
  'flaky',
  'slow',
  'manual',
] as const;

export type SiteProfile = (typeof SITE_PROFILES)[number];

export interface SiteOptions {
  /** URL-safe name; the site lives under `/sites/{name}/`. */
  name: string;
  profile: SiteProfile;
  /** Lifetime of issued client secrets, any profile (`expiring-secrets` default 60; otherwise never). */
  secretTtlSeconds?: number;
  /** Per-site variations of real servers, combinable with any profile (see site-quirks.ts). */
  quirks?: SiteQuirks;
  /** `flaky`: share of registration requests that fail, 0..1 (default 0.3). */
  flakyRate?: number;
  /** `flaky`: the Retry-After of its 429 answers (default 1). */
  retryAfterSeconds?: number;
  /** `slow`: delay before every response (default 2000). */
  delayMs?: number;
  /** `narrowing-scopes`: the scopes the site grants at most (default `DEFAULT_ALLOWED_SCOPES`). */
  allowedScopes?: string[];
  /** `iat`: the initial access token the site demands (default: a random one). */
  initialAccessToken?: string;
}

export const DEFAULT_ALLOWED_SCOPES = [
  'system/*.rs',
  'system/*.read',
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
];

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

export const siteNameSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/i, { message: 'must be 1-64 letters, digits or inner dashes' });

export const siteOptionsSchema = z.strictObject({
  name: siteNameSchema,
  profile: z.enum(SITE_PROFILES),
  secretTtlSeconds: z.number().int().positive().optional(),
  flakyRate: z.number().min(0).max(1).optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().max(120_000).optional(),
  allowedScopes: z.array(z.string().regex(SCOPE_TOKEN)).min(1).optional(),
  initialAccessToken: z.string().min(16).optional(),
  quirks: siteQuirksSchema.optional(),
}) satisfies z.ZodType<SiteOptions>;

/** What a site does, resolved once from its options: every profile default filled in. */
export interface SiteBehaviour {
  profile: SiteProfile;
  initialAccessToken?: string;
  /** RFC 7592 read/update/delete with a registration access token. */
  management: boolean;
  /** A new registration access token on every RFC 7592 read and update; the one used is revoked. */
  rotatesRegistrationAccessToken: boolean;
  secretTtlSeconds?: number;
  /** RFC 7592 PUT: a new secret (the old revoked at once), or the same one. */
  secretOnPut: 'keep' | 'renew';
  quirks: SiteQuirks;
  allowedScopes?: readonly string[];
  /** Token endpoint auth methods the site swaps for another one at registration. */
  authMethodReplacements: Readonly<Record<string, string>>;
  /** `.well-known/smart-configuration` and the OIDC / RFC 8414 discovery documents are served. */
  wellKnownDiscovery: boolean;
  /** RFC 7591 registration is offered (and advertised); `manual` sites have none. */
  dynamicRegistration: boolean;
  flaky?: { rate: number; retryAfterSeconds: number };
  delayMs: number;
}

export function resolveBehaviour(options: SiteOptions): SiteBehaviour {
  const profile = profileBehaviour(options);
  const quirks = options.quirks ?? {};
  return {
    ...profile,
    quirks,
    secretTtlSeconds: options.secretTtlSeconds ?? profile.secretTtlSeconds,
    secretOnPut: quirks.secretOnPut ?? profile.secretOnPut,
    management: profile.management && !quirks.noManagement,
    rotatesRegistrationAccessToken: quirks.registrationAccessTokenRotation
      ? quirks.registrationAccessTokenRotation === 'every_call'
      : profile.rotatesRegistrationAccessToken,
  };
}

function profileBehaviour(options: SiteOptions): SiteBehaviour {
  const behaviour: SiteBehaviour = {
    secretOnPut: 'keep',
    quirks: {},
    profile: options.profile,
    management: true,
    rotatesRegistrationAccessToken: false,
    authMethodReplacements: {},
    wellKnownDiscovery: true,
    dynamicRegistration: true,
    delayMs: 0,
  };
  switch (options.profile) {
    case 'open':
      return behaviour;
    case 'iat':
      return {
        ...behaviour,
        initialAccessToken: options.initialAccessToken ?? `iat-${randomBytes(24).toString('base64url')}`,
      };
    case 'expiring-secrets':
      return { ...behaviour, secretTtlSeconds: options.secretTtlSeconds ?? 60, secretOnPut: 'renew' };
    case 'rotating-rat':
      return { ...behaviour, rotatesRegistrationAccessToken: true };
    case 'narrowing-scopes':
      return {
        ...behaviour,
        allowedScopes: options.allowedScopes ?? DEFAULT_ALLOWED_SCOPES,
        authMethodReplacements: { client_secret_post: 'client_secret_basic' },
      };
    case 'no-management':
      return { ...behaviour, management: false };
    case 'metadata-only':
      return { ...behaviour, wellKnownDiscovery: false };
    case 'flaky':
      return {
        ...behaviour,
        flaky: { rate: options.flakyRate ?? 0.3, retryAfterSeconds: options.retryAfterSeconds ?? 1 },
      };
    case 'slow':
      return { ...behaviour, delayMs: options.delayMs ?? 2000 };
    case 'manual':
      return { ...behaviour, dynamicRegistration: false, management: false };
  }
}
