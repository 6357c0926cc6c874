import type { Example } from './openapi.js';

/**
 * Request examples that work when sent from Swagger UI's "Try it out" (valid SMART client
 * metadata, real-looking URLs), instead of values generated from the schemas' patterns.
 * Ids in paths and bodies are the caller's to fill in.
 */
export const APP_EXAMPLES: Record<string, Example> = {
  confidential: {
    summary: 'Confidential web app (client_secret_basic)',
    value: {
      name: 'Growth Chart',
      clientMetadata: {
        client_name: 'Growth Chart',
        redirect_uris: ['https://growth.example.com/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'launch openid fhirUser patient/*.rs',
        contacts: ['ops@growth.example.com'],
        software_id: 'growth-chart',
        software_version: '1.0.0',
      },
    },
  },
  managedKeys: {
    summary: 'Backend service with broker-managed private_key_jwt keys',
    value: {
      name: 'Population Health Export',
      keyManagement: 'managed',
      signingAlg: 'ES384',
      clientMetadata: {
        client_name: 'Population Health Export',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        scope: 'system/Patient.rs system/Observation.rs',
        contacts: ['ops@pophealth.example.com'],
      },
    },
  },
};

export const ONBOARDING_EXAMPLES: Record<string, Example> = {
  listed: {
    summary: 'At listed health systems (ids from GET /v1/health-systems)',
    value: { healthSystemIds: ['3f0c2a8e-6b1d-4c7e-9a52-1e8d7f4b2c90'] },
  },
  everywhere: { summary: 'At every health system in the directory', value: { allHealthSystems: true } },
};

export const HEALTH_SYSTEM_EXAMPLES: Record<string, Example> = {
  site: {
    summary: 'A site with open registration',
    value: { name: 'Mercy General', fhirBaseUrl: 'https://fhir.mercy.example.org/r4', vendor: 'Epic' },
  },
  withToken: {
    summary: 'A site that needs an initial access token (write-only)',
    value: {
      name: 'St. Luke Health',
      fhirBaseUrl: 'https://ehr.stluke.example.org/fhir',
      vendor: 'Oracle Health',
      initialAccessToken: 'iat-issued-by-the-site-administrators',
      siteConcurrency: 4,
    },
  },
};

export const HEALTH_SYSTEM_UPDATE_EXAMPLES: Record<string, Example> = {
  rename: { summary: 'Rename', value: { name: 'Mercy General Hospital' } },
  token: { summary: 'Replace the initial access token', value: { initialAccessToken: 'new-iat-from-the-site' } },
};

export const TENANT_EXAMPLES: Record<string, Example> = {
  tenant: { summary: 'A tenant', value: { name: 'Acme Digital Health' } },
};

export const API_KEY_EXAMPLES: Record<string, Example> = {
  full: {
    summary: 'A key for a deployment pipeline',
    value: {
      name: 'ci deploy',
      scopes: ['apps:read', 'apps:write', 'onboardings:write', 'registrations:read', 'registrations:write'],
    },
  },
  readOnly: { summary: 'A read-only key', value: { name: 'dashboard', scopes: ['apps:read', 'registrations:read'] } },
};

export const HEALTH_SYSTEM_KEY_EXAMPLES: Record<string, Example> = {
  admins: { summary: 'A key for the site’s integration team', value: { name: 'Mercy integration team' } },
};

export const WEBHOOK_EXAMPLES: Record<string, Example> = {
  all: {
    summary: 'Every event type',
    value: { url: 'https://hooks.mercy.example.org/smart-broker', description: 'Integration team' },
  },
  some: {
    summary: 'Registrations created and deleted only',
    value: {
      url: 'https://hooks.mercy.example.org/smart-broker',
      eventTypes: ['registration.created', 'registration.deleted'],
    },
  },
};

export const WEBHOOK_UPDATE_EXAMPLES: Record<string, Example> = {
  disable: { summary: 'Pause deliveries', value: { enabled: false } },
  move: { summary: 'New receiver URL', value: { url: 'https://hooks2.mercy.example.org/smart-broker' } },
};

export const ROTATE_WEBHOOK_SECRET_EXAMPLES: Record<string, Example> = {
  overlap: { summary: 'Old secret keeps signing for an hour', value: { overlapSeconds: 3600 } },
  now: { summary: 'Stop the old secret at once', value: { overlapSeconds: 0 } },
};

export const RESOLVE_ORPHAN_EXAMPLES: Record<string, Example> = {
  deleted: {
    summary: 'The site deleted the client',
    value: { resolution: 'deleted_at_site', note: 'Confirmed with Mercy IT, ticket 4411' },
  },
};
