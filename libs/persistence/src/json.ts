import type { Prisma } from './generated/client.js';

/** Domain objects are plain JSON-compatible data; this is the one place that tells Prisma so. */
export function asJson(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}
