/**
 * Credentials sometimes arrive in a query string (`?access_token=`, `?api_key=`...) or sit in a
 * URL a site sent us. No log line may carry one: every URL-shaped text a logger sees has the
 * values of credential-looking parameters replaced, and the API refuses such parameters outright.
 */
export const REDACTED = '[REDACTED]';

/**
 * Query parameter names that carry a credential. Compared case-insensitively after removing
 * `-` and `_`, so `Access-Token`, `accessToken` and `access_token` are one name.
 */
const CREDENTIAL_PARAMETERS = [
  'access_token',
  'token',
  'id_token',
  'refresh_token',
  'registration_access_token',
  'initial_access_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'client_secret',
  'code',
  'password',
  'passwd',
  'pwd',
  'signature',
  'sig',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'auth',
  'authorization',
  'assertion',
  'client_assertion',
  'private_key',
  'session',
  'sessionid',
].map(normalise);

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Whether a query parameter name looks like it carries a credential. */
export function isCredentialParameter(name: string): boolean {
  const key = normalise(name);
  return CREDENTIAL_PARAMETERS.includes(key) || /(token|secret|password|apikey|credential)$/.test(key);
}

/** Names of the credential-looking parameters of a query string (`a=1&token=x` or `?a=1...`). */
export function credentialParametersIn(query: string): string[] {
  const names = new Set<string>();
  for (const pair of query.replace(/^\?/, '').split('&')) {
    const name = safeDecode(pair.split('=')[0] ?? '');
    if (name && isCredentialParameter(name)) names.add(name);
  }
  return [...names];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

// `name=value` pairs in a query string or fragment; the value ends at `&`, `#`, a quote or whitespace.
const PAIR = /([?&#;])([^=&#?\s"'<>]{1,128})=([^&#\s"'<>]*)/g;

/**
 * The text with the value of every credential-looking `name=value` pair after `?`, `&`, `#` or
 * `;` replaced (whole URLs, paths with a query, or free text quoting a URL). Userinfo
 * (`https://user:password@host`) is redacted too. Linear in the length of the text.
 */
export function redactUrl(text: string): string {
  if (!text.includes('=') && !text.includes('@')) return text;
  return text
    .replace(PAIR, (whole, separator: string, name: string) =>
      isCredentialParameter(safeDecode(name)) ? `${separator}${name}=${REDACTED}` : whole,
    )
    .replace(/(\b[a-z][a-z0-9+.-]{0,20}:\/\/)[^/@\s"'<>]{1,256}@/gi, `$1${REDACTED}@`);
}

const MAX_DEPTH = 4;

/**
 * A copy of a log object whose string values have credential parameters redacted (see
 * `redactUrl`), walking at most a few levels: log objects are small and shallow, and
 * deeper values are left to pino's field redaction.
 */
export function redactUrlsIn<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactUrl(value) as T;
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactUrlsIn(item, depth + 1)) as T;
  if (value instanceof Error || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactUrlsIn(item, depth + 1);
  return copy as T;
}
