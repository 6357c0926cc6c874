import { z } from 'zod';
import { SecretValue } from '#domain';
import type { ManagementAccess } from '#smart-client';
import type { RegistrationCredential } from './registration-credential.js';

/**
 * The registration's management secret (`secretNames.registrationManagement`): the newest RFC 7592
 * registration access token and client configuration URI of each of its recent clients.
 *
 * Why a secret of its own: sites such as Keycloak rotate the token on every management call, and
 * each new token must be stored before the next request. Stored with the client secret, every
 * call made a new version of the client secret's secret (AWS advises about one PutSecretValue
 * per secret per 10 minutes, and version ids are what rows and tenants point at). Here the
 * churn stays in a secret nobody else reads.
 *
 * Layout rule, one place: a client-secret version carries the token known when it was written
 * (a new client is stored in ONE write, so registering costs one write and one secret, and a
 * site that never rotates the token never gets a management secret); every later token change
 * is written here first, and an entry here wins over the token inside any client-secret version
 * of the same client. Secrets written before this layout are simply versions with no entry here:
 * they open as before and move here on their first token change.
 *
 * Keyed by client id because two clients can be live at once: a re-registration stages a new
 * client while the old one, still to be deleted with its own token, is served.
 */
export interface ManagementEntries {
  /** Newest first. */
  readonly clients: ReadonlyArray<{ clientId: string; management: ManagementAccess }>;
}

/** Clients remembered: the served one, a staged replacement and spares for interrupted switches. */
export const MANAGEMENT_ENTRIES_KEPT = 4;

export const NO_MANAGEMENT_ENTRIES: ManagementEntries = { clients: [] };

const storedSchema = z.object({
  clients: z.array(
    z.object({
      client_id: z.string(),
      registration_access_token: z.string(),
      registration_client_uri: z.string(),
    }),
  ),
});

export function sealManagementEntries(entries: ManagementEntries): SecretValue {
  return new SecretValue(
    JSON.stringify({
      clients: entries.clients.map(({ clientId, management }) => ({
        client_id: clientId,
        registration_access_token: management.registrationAccessToken.reveal(),
        registration_client_uri: management.registrationClientUri,
      })),
    }),
  );
}

export function openManagementEntries(sealed: SecretValue): ManagementEntries {
  const stored = storedSchema.parse(JSON.parse(sealed.reveal()));
  return {
    clients: stored.clients.map((entry) => ({
      clientId: entry.client_id,
      management: {
        registrationAccessToken: new SecretValue(entry.registration_access_token),
        registrationClientUri: entry.registration_client_uri,
      },
    })),
  };
}

/** The entries with `clientId`'s management replaced (moved to the front), oldest dropped beyond the limit. */
export function withManagementEntry(
  entries: ManagementEntries,
  clientId: string,
  management: ManagementAccess,
): ManagementEntries {
  return {
    clients: [{ clientId, management }, ...entries.clients.filter((entry) => entry.clientId !== clientId)].slice(
      0,
      MANAGEMENT_ENTRIES_KEPT,
    ),
  };
}

/** The credential with its newest management access: an entry for its client wins over what the version carries. */
export function withNewestManagement(
  credential: RegistrationCredential,
  entries: ManagementEntries,
): RegistrationCredential {
  const entry = entries.clients.find((candidate) => candidate.clientId === credential.clientId);
  return entry ? { ...credential, management: entry.management } : credential;
}

/** True when storing `management` for `clientId` would change nothing. */
export function holdsManagement(entries: ManagementEntries, clientId: string, management: ManagementAccess): boolean {
  const entry = entries.clients.find((candidate) => candidate.clientId === clientId);
  return (
    entry !== undefined &&
    entry.management.registrationClientUri === management.registrationClientUri &&
    entry.management.registrationAccessToken.reveal() === management.registrationAccessToken.reveal()
  );
}
