/**
 * Where a site's endpoints are, under the sandbox origin. The OAuth paths are oidc-provider's
 * default `routes` below the issuer (lib/helpers/defaults.js), so discovery documents written by
 * the sandbox and by oidc-provider itself agree.
 */
export interface SiteUrls {
  /** `{origin}/sites/{name}` */
  root: string;
  fhirBase: string;
  smartConfiguration: string;
  issuer: string;
  authorization: string;
  token: string;
  jwks: string;
  registration: string;
  introspection: string;
  revocation: string;
  /** SMART's user-facing "manage your authorized apps" page (not RFC 7592). */
  management: string;
}

export function siteUrls(origin: string, siteName: string): SiteUrls {
  const root = `${origin}/sites/${siteName}`;
  const fhirBase = `${root}/fhir`;
  const issuer = `${root}/oidc`;
  return {
    root,
    fhirBase,
    smartConfiguration: `${fhirBase}/.well-known/smart-configuration`,
    issuer,
    authorization: `${issuer}/auth`,
    token: `${issuer}/token`,
    jwks: `${issuer}/jwks`,
    registration: `${issuer}/reg`,
    introspection: `${issuer}/token/introspection`,
    revocation: `${issuer}/token/revocation`,
    management: `${root}/manage`,
  };
}
