import type { SecretRef } from '#domain';
import type { Prisma } from './generated/client.js';

/** Domain objects are plain JSON-compatible data; this is the one place that tells Prisma so. */
export function asJson(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

/** A secret reference from its two columns (name, version); null unless both are set. */
export function secretRefOf(name: string | null, versionId: string | null): SecretRef | null {
  return name && versionId ? { name, versionId } : null;
}
