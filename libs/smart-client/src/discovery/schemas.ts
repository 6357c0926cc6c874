import { z } from 'zod';

/**
 * Schemas for the discovery documents. They are untrusted input: every member the broker
 * reads is type-checked and bounded; members it does not read are let through untouched.
 * URLs are only checked to be strings here; `discover` judges them against the outbound
 * policy so the reason names the field.
 */

const MAX_URL = 2048;
// oidc-provider lists every configured scope in scopes_supported: about 1,400 for SMART v2.
const MAX_LIST = 5000;
const text = z.string().min(1).max(MAX_URL);
const list = z.array(z.string().max(512)).max(MAX_LIST);

/** The "…_supported" lists SMART configuration, OIDC discovery and RFC 8414 share. */
const supportedLists = {
  token_endpoint_auth_methods_supported: list.optional(),
  token_endpoint_auth_signing_alg_values_supported: list.optional(),
  grant_types_supported: list.optional(),
  scopes_supported: list.optional(),
  response_types_supported: list.optional(),
  code_challenge_methods_supported: list.optional(),
};

/** SMART App Launch 2.x "Conformance": `{fhirBase}/.well-known/smart-configuration`. */
export const smartConfigurationSchema = z.looseObject({
  issuer: text.optional(),
  jwks_uri: text.optional(),
  authorization_endpoint: text.optional(),
  token_endpoint: text, // REQUIRED
  registration_endpoint: text.optional(),
  management_endpoint: text.optional(),
  introspection_endpoint: text.optional(),
  revocation_endpoint: text.optional(),
  ...supportedLists,
  capabilities: list, // REQUIRED
});
export type SmartConfiguration = z.output<typeof smartConfigurationSchema>;

/** OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 share the members the broker reads. */
export const authorizationServerMetadataSchema = z.looseObject({
  issuer: text, // REQUIRED in both
  authorization_endpoint: text.optional(),
  token_endpoint: text.optional(),
  jwks_uri: text.optional(),
  registration_endpoint: text.optional(),
  introspection_endpoint: text.optional(),
  revocation_endpoint: text.optional(),
  ...supportedLists,
});
export type AuthorizationServerMetadata = z.output<typeof authorizationServerMetadataSchema>;

export const OAUTH_URIS_EXTENSION = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

const subExtension = z.looseObject({
  url: z.string().max(MAX_URL),
  valueUri: text.optional(),
  valueUrl: text.optional(),
});
const extension = z.looseObject({ url: z.string().max(MAX_URL), extension: z.array(subExtension).max(50).optional() });

/** The part of a FHIR CapabilityStatement that carries SMART's `oauth-uris` extension. */
export const capabilityStatementSchema = z.looseObject({
  resourceType: z.literal('CapabilityStatement'),
  rest: z
    .array(
      z.looseObject({
        security: z.looseObject({ extension: z.array(extension).max(50).optional() }).optional(),
      }),
    )
    .max(20)
    .optional(),
});
export type CapabilityStatement = z.output<typeof capabilityStatementSchema>;

/** `authorize`, `token`, `register`, `manage` (and others) of the first `oauth-uris` extension. */
export function oauthUris(statement: CapabilityStatement): Record<string, string> {
  for (const rest of statement.rest ?? []) {
    const oauth = rest.security?.extension?.find((candidate) => candidate.url === OAUTH_URIS_EXTENSION);
    if (oauth) {
      return Object.fromEntries(
        (oauth.extension ?? [])
          .map((entry) => [entry.url, entry.valueUri ?? entry.valueUrl] as const)
          .filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string'),
      );
    }
  }
  return {};
}
