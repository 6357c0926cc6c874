import { z } from 'zod';
import { SecretValue } from '#domain';
import type { ManagementAccess, RegistrationResult } from '#smart-client';

/**
 * What the secret store holds for one registration: everything needed to use and manage
 * the client. The database keeps only a reference to it.
 */
export interface RegistrationCredential {
  clientId: string;
  clientSecret?: SecretValue;
  /** Unix seconds; 0 = never expires (RFC 7591 §3.2.1). */
  clientSecretExpiresAt?: number;
  management?: ManagementAccess;
}

const storedSchema = z.object({
  client_id: z.string(),
  client_secret: z.string().optional(),
  client_secret_expires_at: z.number().optional(),
  registration_access_token: z.string().optional(),
  registration_client_uri: z.string().optional(),
});

export function credentialFromRegistration(result: RegistrationResult): RegistrationCredential {
  return {
    clientId: result.clientId,
    clientSecret: result.clientSecret,
    clientSecretExpiresAt: result.clientSecretExpiresAt,
    management: result.management,
  };
}

/** Serialises for the secret store; the only place a credential becomes plain text. */
export function sealCredential(credential: RegistrationCredential): SecretValue {
  return new SecretValue(
    JSON.stringify({
      client_id: credential.clientId,
      client_secret: credential.clientSecret?.reveal(),
      client_secret_expires_at: credential.clientSecretExpiresAt,
      registration_access_token: credential.management?.registrationAccessToken.reveal(),
      registration_client_uri: credential.management?.registrationClientUri,
    }),
  );
}

export function openCredential(sealed: SecretValue): RegistrationCredential {
  const stored = storedSchema.parse(JSON.parse(sealed.reveal()));
  return {
    clientId: stored.client_id,
    clientSecret: stored.client_secret ? new SecretValue(stored.client_secret) : undefined,
    clientSecretExpiresAt: stored.client_secret_expires_at,
    management:
      stored.registration_access_token && stored.registration_client_uri
        ? {
            registrationClientUri: stored.registration_client_uri,
            registrationAccessToken: new SecretValue(stored.registration_access_token),
          }
        : undefined,
  };
}
