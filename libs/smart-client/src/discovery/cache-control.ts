/**
 * How long a shared cache may keep a discovery document (RFC 9111 §5.2.2). The broker is a
 * shared cache (one description serves every tenant), so `s-maxage` wins over `max-age`.
 * `no-store` and `no-cache` both mean "ask again next time": the broker never revalidates.
 * Returns seconds, or undefined when the header says nothing about freshness.
 */
export function freshnessLifetime(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  const directives = new Map<string, string | undefined>();
  for (const part of value.split(',')) {
    const [name, argument] = part.trim().split('=', 2);
    if (name) directives.set(name.toLowerCase(), argument?.replace(/^"|"$/g, ''));
  }
  if (directives.has('no-store') || directives.has('no-cache')) return 0;
  for (const name of ['s-maxage', 'max-age']) {
    const seconds = directives.get(name);
    if (seconds !== undefined && /^\d+$/.test(seconds)) return Number(seconds);
  }
  return undefined;
}
