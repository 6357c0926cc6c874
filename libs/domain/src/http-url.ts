import { z } from 'zod';

/**
 * An absolute http(s) URL as an operator enters it for the broker to call: no credentials
 * (they would end up in logs), no fragment (never sent), a query only where the caller allows
 * one. Whether plain http and the resolved address are acceptable is the outbound policy's
 * call, made where the URL is used.
 */
export function httpUrlSchema(options: { allowQuery: boolean }) {
  return z
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
      if (url.search && !options.allowQuery) ctx.addIssue({ code: 'custom', message: 'must not contain a query' });
      if (url.hash) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment' });
      return url;
    });
}
