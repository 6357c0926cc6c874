/**
 * The SMART scopes the sandbox's authorization servers accept.
 *
 * oidc-provider accepts only scopes listed in its `scopes` configuration: a client registering any
 * other scope gets `invalid_client_metadata`, and unknown scopes in a token request are dropped
 * (lib/helpers/client_schema.js, lib/helpers/oidc_context.js). So the list is enumerated: every
 * context x common resource x SMART v1 (`read`, `write`, `*`) and v2 (`c`, `r`, `u`, `d`, `s` in that
 * order, any non-empty subset) permission, plus the launch and OpenID scopes (SMART App Launch 2.x,
 * "Scopes and Launch Context").
 */

const CONTEXTS = ['patient', 'user', 'system'];

const RESOURCES = [
  '*',
  'Patient',
  'Observation',
  'Condition',
  'Encounter',
  'MedicationRequest',
  'AllergyIntolerance',
  'Immunization',
  'Procedure',
  'DiagnosticReport',
  'DocumentReference',
  'Practitioner',
  'Organization',
  'Group',
];

const V2_PERMISSIONS = 'cruds';

function v2PermissionStrings(): string[] {
  const strings: string[] = [];
  for (let mask = 1; mask < 1 << V2_PERMISSIONS.length; mask++) {
    strings.push([...V2_PERMISSIONS].filter((_, bit) => mask & (1 << bit)).join(''));
  }
  return strings;
}

const PERMISSIONS = ['read', 'write', '*', ...v2PermissionStrings()];

const LAUNCH_AND_IDENTITY_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
];

/** Everything the servers accept (about 1,400 values). */
export const SUPPORTED_SCOPES: ReadonlySet<string> = new Set([
  ...LAUNCH_AND_IDENTITY_SCOPES,
  ...CONTEXTS.flatMap((context) =>
    RESOURCES.flatMap((resource) => PERMISSIONS.map((permission) => `${context}/${resource}.${permission}`)),
  ),
]);

/** The short list a smart-configuration advertises (`scopes_supported` is a "MAY list" in SMART). */
export const ADVERTISED_SCOPES: readonly string[] = [
  ...LAUNCH_AND_IDENTITY_SCOPES,
  ...CONTEXTS.flatMap((context) => [`${context}/*.rs`, `${context}/*.cruds`, `${context}/*.read`]),
];
