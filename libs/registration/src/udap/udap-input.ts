import { z } from 'zod';
import { ValidationError, toFieldProblems } from '#domain';
import { hl7B2bSchema } from '#smart-client';

/** Request bodies of the UDAP API, validated once here. */

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const pemBundle = z.string().max(200_000).regex(PEM_CERTIFICATE, { message: 'must hold PEM certificates' });

export const createCommunitySchema = z.strictObject({
  /** The community URI, also sent as the discovery `community` parameter (IG §2.4). */
  uri: z.url().max(2048),
  name: z.string().min(1).max(200),
  /** One PEM bundle or a list of PEM certificates: the community's trust anchors. */
  trustAnchors: z.union([pemBundle, z.array(pemBundle).min(1).max(20)]),
});

export const updateCommunitySchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  trustAnchors: z.union([pemBundle, z.array(pemBundle).min(1).max(20)]).optional(),
});

export const healthSystemUdapSchema = z.strictObject({
  /** The trust community to register with at this site; null removes it (plain RFC 7591 again). */
  communityId: z.uuid().nullable().optional(),
  /** RFC 7591 §2.3: the site requires a software statement in plain RFC 7591 registrations. */
  requiresSoftwareStatement: z.boolean().optional(),
});

export const createCertificateSchema = z.strictObject({
  communityId: z.uuid(),
  /** The app's client URI: the uniformResourceIdentifier SAN and the UDAP `iss` (IG §3.1). */
  sanUri: z.url().max(2048),
  commonName: z.string().min(1).max(64).optional(),
});

export const uploadChainSchema = z.strictObject({
  /** The issued certificate first, then intermediates (PEM). */
  chain: z.union([pemBundle, z.array(pemBundle).min(1).max(10)]),
});

export const importCertificateSchema = z.strictObject({
  communityId: z.uuid(),
  chain: z.union([pemBundle, z.array(pemBundle).min(1).max(10)]),
  /** PEM (PKCS #8 or PKCS #1) RSA private key of the leaf certificate. Write-only. */
  privateKey: z.string().min(1).max(20_000),
});

export const udapSettingsSchema = z.strictObject({
  /** Values of the hl7-b2b authorization extension (IG §5.3.1) for client_credentials token requests. */
  b2b: hl7B2bSchema.nullable(),
});

export const softwareStatementSchema = z.discriminatedUnion('mode', [
  /** A JWT the tenant's software publisher signed (RFC 7591 §2.3). Write-only. */
  z.strictObject({ mode: z.literal('supplied'), softwareStatement: z.string().min(10).max(20_000) }),
  /** The broker signs one with the app's managed private_key_jwt key at each registration. */
  z.strictObject({ mode: z.literal('managed') }),
  z.strictObject({ mode: z.literal('none') }),
]);

export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`invalid ${what}`, toFieldProblems(parsed.error.issues));
  return parsed.data;
}

export function pemList(input: string | string[]): string[] {
  const bundles = Array.isArray(input) ? input : [input];
  return bundles.flatMap(
    (bundle) => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [],
  );
}
