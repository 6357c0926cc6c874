import { permanentProblem, toRegistrationError, type RegistrationProblem } from '../engine/registration-errors.js';
import { CredentialSaveError } from './credential-vault.js';

/** A lifecycle step that ends with a problem the broker diagnosed (not a thrown protocol error). */
export class LifecycleProblem extends Error {
  constructor(readonly problem: RegistrationProblem) {
    super(problem.error);
    this.name = 'LifecycleProblem';
  }
}

/** The problem to record for anything a lifecycle step threw. */
export function problemOf(error: unknown, clientId?: string | null): RegistrationProblem {
  if (error instanceof LifecycleProblem) return error.problem;
  if (error instanceof CredentialSaveError) {
    // A lost registration access token cannot come back by retrying; a lost new secret can
    // (the token still works: the next run asks the site for another secret).
    return error.lostRegistrationAccessToken
      ? managementAccessLost(clientId ?? 'unknown')
      : {
          ...permanentProblem(
            'credential_save_failed',
            'could not store a new client secret; the site will be asked for another',
          ),
          retryable: true,
        };
  }
  return toRegistrationError(error);
}

export const credentialMissing = () =>
  new LifecycleProblem(
    permanentProblem('credential_missing', 'the registration credential is missing from the secret store'),
  );

/**
 * The site rotated the registration access token (Keycloak-style, one use each) and the broker
 * could not keep the new one, or holds a token the site no longer accepts while the client's
 * credentials still work. RFC 7592 management of the client is then impossible until a person
 * acts: nothing automatic can get a token back.
 */
export const managementAccessLost = (clientId: string) =>
  permanentProblem(
    'management_access_lost',
    `the site no longer accepts the registration access token of client ${clientId}, whose credentials still work; ` +
      'RFC 7592 read/update/delete are impossible: ask the site administrator for a new registration access token, or delete this registration and onboard again',
  );

/** The registration's `lastError` column: the problem without the retry hint. */
export function asLastError({ retryAfterMs: _retryAfterMs, ...lastError }: RegistrationProblem): object {
  return lastError;
}

/**
 * RFC 7592 answered 401/404/410 to a PUT. Normally the client (or its token) is gone; for a
 * registration that already lost its management token, the client still works and the earlier
 * diagnosis stands.
 */
export function goneProblem(
  lastError: { error: string } | null,
  clientId: string | null,
  httpStatus: number,
): LifecycleProblem {
  if (lastError?.error === 'management_access_lost')
    return new LifecycleProblem(managementAccessLost(clientId ?? 'unknown'));
  return new LifecycleProblem(
    permanentProblem(
      'client_gone',
      `RFC 7592 PUT answered ${httpStatus}: the client or its registration access token is gone`,
    ),
  );
}
