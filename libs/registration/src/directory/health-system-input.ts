import { z } from 'zod';
import { REGISTRATION_MODES, httpUrlSchema } from '#domain';

/**
 * A FHIR base URL as the operator enters it (see `httpUrlSchema`), without query, and with
 * the trailing slash removed so one site has one spelling.
 */
export const fhirBaseUrlSchema = httpUrlSchema({ allowQuery: false }).transform(
  (url) => `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
);

const initialAccessToken = z.string().min(1).max(8192).nullable();
/** Jobs at most at once at this site (a server that corrupts concurrent registrations: 1); null = the default. */
const siteConcurrency = z.number().int().min(1).max(256).nullable();

export const createHealthSystemSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  fhirBaseUrl: fhirBaseUrlSchema,
  vendor: z.string().trim().min(1).max(100).nullable().default(null),
  /** Write-only: stored in the secret store, never returned. */
  initialAccessToken: initialAccessToken.default(null),
  siteConcurrency: siteConcurrency.default(null),
  /** `manual`: the site's administrators register clients by hand (see the README's manual workflow). */
  registrationMode: z.enum(REGISTRATION_MODES).default('automatic'),
});

export const updateHealthSystemSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    fhirBaseUrl: fhirBaseUrlSchema,
    vendor: z.string().trim().min(1).max(100).nullable(),
    /** A string replaces the token, null removes it, absent keeps it. */
    initialAccessToken,
    siteConcurrency,
    registrationMode: z.enum(REGISTRATION_MODES),
  })
  .partial();
