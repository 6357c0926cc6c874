import type { SiteUrls } from './site-urls.js';

export const OAUTH_URIS_EXTENSION = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const RESTFUL_SECURITY_SERVICE = 'http://terminology.hl7.org/CodeSystem/restful-security-service';

/**
 * `GET {fhirBase}/metadata`: a FHIR R4 CapabilityStatement whose `rest[0].security` carries the
 * SMART `oauth-uris` extension (SMART App Launch 1.0 "Conformance"; still read by older clients and
 * the only discovery a `metadata-only` site offers). `manage` is SMART's user-facing page, not the
 * RFC 7592 endpoint (that one is the `registration_client_uri` of each registration).
 */
export function capabilityStatement(urls: SiteUrls, description: string, published: Date): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: published.toISOString(),
    kind: 'instance',
    software: { name: 'SMART registration sandbox' },
    implementation: { description, url: urls.fhirBase },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: true,
          service: [
            {
              coding: [{ system: RESTFUL_SECURITY_SERVICE, code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
              text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
            },
          ],
          extension: [
            {
              url: OAUTH_URIS_EXTENSION,
              extension: [
                { url: 'authorize', valueUri: urls.authorization },
                { url: 'token', valueUri: urls.token },
                { url: 'register', valueUri: urls.registration },
                { url: 'manage', valueUri: urls.management },
              ],
            },
          ],
        },
        resource: [],
      },
    ],
  };
}
