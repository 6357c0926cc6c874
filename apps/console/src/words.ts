import type { RegistrationError } from './api/types';

/** What each registration state means, for people (libs/domain/src/registration-state.ts). */
export const STATE_WORDS: Record<string, string> = {
  queued: 'waiting for a worker',
  discovering: 'reading the site’s SMART configuration',
  registering: 'registering the client at the site',
  retrying: 'a temporary error: will try again',
  registered: 'registered and working',
  failed: 'the site refused: needs a change',
  orphan_suspected: 'a client may exist at the site without a registration naming it',
  verifying: 'checking the client at the site',
  updating: 'updating the client at the site',
  rotating: 'rotating the client secret',
  deleting: 'deleting the client at the site',
  deleted: 'deleted at the site',
};

/** Known error codes (RFC 7591 §3.2.2, RFC 6750 and the broker's own), said plainly. */
const ERROR_WORDS: Record<string, string> = {
  invalid_token:
    'The site refused the initial access token the broker sent: the operator must set the right token for this health system.',
  invalid_redirect_uri: 'The site refused one of the app’s redirect URIs.',
  invalid_client_metadata: 'The site refused part of the app’s client metadata.',
  invalid_software_statement: 'The site refused the software statement.',
  unapproved_software_statement: 'The site does not approve this software statement.',
  invalid_client: 'The site no longer accepts this client’s credentials.',
  client_gone_or_access_lost: 'The client no longer exists at the site, or the broker lost its management access.',
  new_credential_unproven: 'The new secret is in use but could not be tested yet; the next verification checks it.',
  new_credential_rejected: 'The site refused the new secret.',
  no_discovery_document: 'The site publishes no SMART configuration the broker could find.',
  invalid_discovery_document: 'The site’s SMART configuration is not valid.',
  invalid_response: 'The site answered with something that is not a valid registration response.',
  temporarily_unavailable: 'The site is temporarily unavailable.',
  slow_down: 'The site asked the broker to slow down.',
  timeout: 'The site did not answer in time.',
  http_error: 'The site answered with an HTTP error.',
  blocked: 'The broker refused to call this address (outbound policy).',
  too_large: 'The site’s answer was too large.',
  secret_store_unavailable: 'The secret store is unavailable; nothing was sent to the site.',
  waiting_for_secret_store: 'Waiting for the secret store before continuing.',
  previous_attempt_interrupted: 'A previous attempt was interrupted; the broker registered again.',
  interrupted: 'The attempt was interrupted (a worker stopped); the broker resumes it.',
  udap_not_supported: 'The site does not support UDAP registration.',
  udap_metadata_invalid: 'The site’s UDAP metadata is not valid.',
  udap_certification_required: 'The site requires a certification the broker does not hold.',
};

/** The last error of a registration in a sentence, with the site's own words after it. */
export function errorInWords(error: RegistrationError): string {
  const plain = ERROR_WORDS[error.error] ?? `The site or the broker reported “${error.error}”.`;
  const status = error.httpStatus ? ` (HTTP ${error.httpStatus})` : '';
  const retry = error.retryable ? ' The broker will try again.' : ' The broker will not retry on its own.';
  return `${plain}${status}${retry}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export const show = (value: unknown): string =>
  value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);
