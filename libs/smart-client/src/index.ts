/**
 * @module smart-client
 * The broker's protocol core: safe outbound HTTP, SMART discovery, RFC 7591 registration,
 * RFC 7592 management and the client credentials token request. No database, no state.
 */
export { BROKER_VERSION, USER_AGENT } from './version.js';

export {
  classifyAddress,
  createAddressPolicy,
  type AddressPolicy,
  type BlockedRange,
  type BlockedRule,
  type PolicyVerdict,
} from './http/address-policy.js';
export {
  BadJsonError,
  HttpStatusError,
  OutboundBlockedError,
  OutboundError,
  OutboundNetworkError,
  OutboundTimeoutError,
  RedirectError,
  ResponseTooLargeError,
  isRetryableStatus,
  redactUrl,
  type OutboundErrorKind,
  type TimeoutPhase,
} from './http/errors.js';
export { parseRetryAfter } from './http/retry-after.js';
export {
  createSafeHttpClient,
  safeHttpOptionsFromConfig,
  type OutboundCallEvent,
  type SafeHttpClient,
  type SafeHttpOptions,
  type SafeHttpRequest,
  type SafeHttpResponse,
} from './http/safe-http.js';

export { SmartClientError, isRetryable, retryAfterMs, type LocalErrorCode, type SmartOperation } from './errors.js';

export {
  DISCOVERY_SOURCES,
  mergeDiscoveryDocuments,
  type DiscoveredDocuments,
  type DiscoverySource,
  type EndpointName,
  type SmartServerDescription,
  type Sourced,
  type SupportedList,
} from './discovery/description.js';
export {
  createSmartDiscovery,
  normalizeFhirBaseUrl,
  type SmartDiscovery,
  type SmartDiscoveryOptions,
} from './discovery/discover.js';
export {
  InMemoryDiscoveryCache,
  withDiscoveryCache,
  type CachedSmartDiscovery,
  type DiscoveryCache,
} from './discovery/cache.js';

export { diffMetadata, type MetadataChangeKind, type MetadataDifference } from './registration/diff-metadata.js';
export {
  canonicalMember,
  canonicalMetadata,
  isKnownMember,
  normaliseClientDocument,
  type NormalisedDocument,
} from './registration/normalise.js';
export {
  register,
  type ManagementAccess,
  type RegisterRequest,
  type RegistrationResult,
} from './registration/register.js';
export {
  deleteClient,
  readClient,
  updateClient,
  type CredentialsChange,
  type Gone,
  type ManagementRequest,
  type OnCredentialsChanged,
  type ReadResult,
  type UpdateRequest,
  type UpdateResult,
} from './management/manage.js';

export {
  ASSERTION_LIFETIME_SECONDS,
  createClientAssertion,
  type AssertionAlgorithm,
  type ClientAssertionInput,
} from './token/client-assertion.js';
export {
  requestClientCredentialsToken,
  type ClientAuthentication,
  type ClientCredentialsTokenRequest,
  type TokenResult,
} from './token/client-credentials.js';

// UDAP (HL7 UDAP Security IG): discovery with signed metadata, DCR, JWT client authentication.
export * from './udap/index.js';
