import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SecretValue } from '#domain';

/**
 * Tenant API keys look like `srb_<32 hex id>_<43 char secret>`. The id finds the row; only
 * SHA-256 of the secret is stored (the secret has 256 bits of entropy, so a slow hash adds
 * nothing), compared in constant time.
 */
/** The key kinds: `srb_` tenant keys, `srbh_` health-system administrator keys (same shape and hashing). */
export type ApiKeyKind = 'tenant' | 'health_system';
const PREFIX: Record<ApiKeyKind, string> = { tenant: 'srb', health_system: 'srbh' };
const TOKEN_SHAPE: Record<ApiKeyKind, RegExp> = {
  tenant: /^srb_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/,
  health_system: /^srbh_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/,
};

export interface GeneratedApiKey {
  id: string;
  token: SecretValue;
  secretHash: string;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function idToUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function generateApiKey(kind: ApiKeyKind = 'tenant'): GeneratedApiKey {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return {
    id,
    token: new SecretValue(`${PREFIX[kind]}_${id.replaceAll('-', '')}_${secret}`),
    secretHash: hashSecret(secret),
  };
}

/** Splits a presented token; null when it does not have the shape of a broker key. */
export function parseApiKey(token: string, kind: ApiKeyKind = 'tenant'): { id: string; secret: string } | null {
  const match = TOKEN_SHAPE[kind].exec(token);
  if (!match) return null;
  return { id: idToUuid(match[1]!), secret: match[2]! };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
