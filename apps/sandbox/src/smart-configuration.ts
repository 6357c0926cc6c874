import type { SiteUrls } from './site-urls.js';
import { ADVERTISED_SCOPES } from './smart-scopes.js';

/**
 * `GET {fhirBase}/.well-known/smart-configuration` (SMART App Launch 2.x, "Conformance"). Every
 * value matches what the site's oidc-provider really does: the three SMART client auth methods,
 * RS384/ES384 assertions, PKCE S256 only.
 */
export function smartConfiguration(urls: SiteUrls): Record<string, unknown> {
  return {
    issuer: urls.issuer,
    jwks_uri: urls.jwks,
    authorization_endpoint: urls.authorization,
    token_endpoint: urls.token,
    registration_endpoint: urls.registration,
    management_endpoint: urls.management,
    introspection_endpoint: urls.introspection,
    revocation_endpoint: urls.revocation,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    scopes_supported: ADVERTISED_SCOPES,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-ehr-patient',
      'context-standalone-patient',
      'sso-openid-connect',
      'permission-offline',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}
