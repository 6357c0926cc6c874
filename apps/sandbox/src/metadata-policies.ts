import { randomBytes } from 'node:crypto';
import { errors, type ClientMetadata } from 'oidc-provider';
import type { SiteBehaviour } from './site-profiles.js';

export type ClientEvent = 'register' | 'update';

/**
 * A site rule applied to client metadata while oidc-provider builds the client of an RFC 7591
 * registration or an RFC 7592 update. It may change `metadata` in place (RFC 7591 §3.2.1: "the
 * authorization server MAY reject or replace any of the client's requested metadata values") or
 * throw `InvalidClientMetadata`. `requested` is the request body as the client sent it.
 */
export type MetadataPolicy = (metadata: ClientMetadata, event: ClientEvent, requested: ClientMetadata) => void;

export function metadataPolicies(behaviour: SiteBehaviour): MetadataPolicy[] {
  const policies: MetadataPolicy[] = [noResponseTypesForBackendServices];
  if (behaviour.allowedScopes) policies.push(narrowScopes(new Set(behaviour.allowedScopes)));
  if (Object.keys(behaviour.authMethodReplacements).length) {
    policies.push(replaceAuthMethods(behaviour.authMethodReplacements));
  }
  if (behaviour.secretTtlSeconds || behaviour.secretOnPut === 'renew') {
    policies.push(secretLifecycle(behaviour.secretTtlSeconds, behaviour.secretOnPut === 'renew'));
  }
  if (behaviour.quirks.requireRedirectUris) policies.push(requireRedirectUris);
  return policies;
}

/**
 * RFC 7591 §2 makes `response_types` default to ["code"], and oidc-provider then adds
 * `authorization_code` to the grant types and demands `redirect_uris`. A SMART backend-services
 * client that sends only `grant_types: ["client_credentials"]` plainly wants no response type, and
 * the EHRs we imitate register it so; without this rule it would get `invalid_client_metadata`.
 */
const noResponseTypesForBackendServices: MetadataPolicy = (metadata, _event, requested) => {
  const grantTypes = requested.grant_types;
  if (
    requested.response_types === undefined &&
    Array.isArray(grantTypes) &&
    !grantTypes.includes('authorization_code') &&
    !grantTypes.includes('implicit')
  ) {
    metadata.response_types = [];
  }
};

/** Grants the requested scopes that the site allows; with no `scope` requested, everything allowed. */
function narrowScopes(allowed: ReadonlySet<string>): MetadataPolicy {
  return (metadata) => {
    if (typeof metadata.scope !== 'string') {
      metadata.scope = [...allowed].join(' ');
      return;
    }
    const granted = metadata.scope.split(' ').filter((scope) => allowed.has(scope));
    if (granted.length === 0) {
      throw new errors.InvalidClientMetadata('none of the requested scopes is allowed at this site');
    }
    metadata.scope = granted.join(' ');
  };
}

/** Swaps auth methods the site does not take, keeping the issued secret valid (post -> basic). */
function replaceAuthMethods(replacements: Readonly<Record<string, string>>): MetadataPolicy {
  return (metadata) => {
    const method = metadata.token_endpoint_auth_method;
    if (typeof method === 'string' && replacements[method]) {
      metadata.token_endpoint_auth_method = replacements[method];
    }
  };
}

/**
 * Issued secrets expire after `ttlSeconds` when set (oidc-provider's token endpoint then answers
 * `invalid_client`); with `renewOnUpdate`, every RFC 7592 update issues a fresh secret: RFC 7592
 * §2.2 lets the server return a new `client_secret`, which is how a client renews an expiring
 * one, and the old one stops working at once. Without it an update keeps the secret and, with a
 * lifetime, extends it (the expiry changes while the value does not). oidc-provider alone keeps
 * the old secret and `client_secret_expires_at: 0` on update (lib/actions/registration.js).
 */
function secretLifecycle(ttlSeconds: number | undefined, renewOnUpdate: boolean): MetadataPolicy {
  return (metadata, event) => {
    if (typeof metadata.client_secret !== 'string') return;
    if (event === 'update' && renewOnUpdate) metadata.client_secret = randomBytes(48).toString('base64url');
    if (ttlSeconds) metadata.client_secret_expires_at = Math.floor(Date.now() / 1000) + ttlSeconds;
  };
}

/**
 * Some servers demand `redirect_uris` from every client, client_credentials-only ones included
 * (RFC 7591 §2 makes it a MUST only for redirect-based flows).
 */
const requireRedirectUris: MetadataPolicy = (_metadata, event, requested) => {
  if (event !== 'register') return;
  if (!Array.isArray(requested.redirect_uris) || requested.redirect_uris.length === 0) {
    throw new errors.InvalidRedirectUri('redirect_uris is mandatory at this site, for every client');
  }
};
