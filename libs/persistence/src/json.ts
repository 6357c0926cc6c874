import { boundDocument, type SecretRef } from '#domain';
import type { Prisma } from './generated/client.js';

/** Domain objects are plain JSON-compatible data; this is the one place that tells Prisma so. */
export function asJson(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

/** A secret reference from its two columns (name, version); null unless both are set. */
export function secretRefOf(name: string | null, versionId: string | null): SecretRef | null {
  return name && versionId ? { name, versionId } : null;
}

/**
 * A document a remote site sent (a registration answer, a discovery document), bounded before
 * it is stored (see `boundDocument`): a hostile site cannot make a row huge, nor nest a value
 * so deep that serialising it overflows the stack. `notes` say what was cut.
 */
export function remoteJson(value: unknown): { json: Prisma.InputJsonValue; notes: string[] } {
  const { document, notes } = boundDocument(value);
  return { json: document as Prisma.InputJsonValue, notes };
}

/** Any JSON value a remote site sent (not only an object), bounded like `remoteJson`. */
export function remoteJsonValue(value: unknown): { json: Prisma.InputJsonValue; notes: string[] } {
  const { document, notes } = boundDocument({ value });
  return { json: (document.value ?? null) as Prisma.InputJsonValue, notes };
}

/** The sentence a state reason gets when a remote document had to be cut. */
export function boundedNote(notes: string[]): string {
  return `the site's answer was cut before storing (${notes.join('; ')})`;
}
