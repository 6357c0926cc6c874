import { z } from 'zod';

/**
 * A FHIR base URL as the operator enters it: absolute http(s), no credentials, query or
 * fragment; the trailing slash removed so one site has one spelling. Whether plain http is
 * acceptable is the outbound policy's call (allowed development hosts only), checked by the service.
 */
export const fhirBaseUrlSchema = z
  .string()
  .max(2048)
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must use https' });
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
    if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'must not contain a query or fragment' });
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

const initialAccessToken = z.string().min(1).max(8192).nullable();

export const createHealthSystemSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  fhirBaseUrl: fhirBaseUrlSchema,
  vendor: z.string().trim().min(1).max(100).nullable().default(null),
  /** Write-only: stored in the secret store, never returned. */
  initialAccessToken: initialAccessToken.default(null),
});

export const updateHealthSystemSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    fhirBaseUrl: fhirBaseUrlSchema,
    vendor: z.string().trim().min(1).max(100).nullable(),
    /** A string replaces the token, null removes it, absent keeps it. */
    initialAccessToken,
  })
  .partial();
