import { createAddressPolicy } from '../http/address-policy.js';
import { mergeDiscoveryDocuments, type DiscoveredDocuments } from './description.js';
import { OAUTH_URIS_EXTENSION, type CapabilityStatement, type SmartConfiguration } from './schemas.js';

const policy = createAddressPolicy(['dev.local']);
const timing = { fetchedAt: new Date('2025-01-01T00:00:00Z'), ttlSeconds: 600 };
const base = 'https://ehr.example/fhir';

const smart: SmartConfiguration = {
  issuer: 'https://ehr.example/oidc',
  token_endpoint: 'https://ehr.example/oidc/token',
  authorization_endpoint: 'https://ehr.example/oidc/auth',
  capabilities: ['client-confidential-asymmetric'],
  code_challenge_methods_supported: ['S256'],
};

const capabilityStatement = (uris: Record<string, string>): CapabilityStatement => ({
  resourceType: 'CapabilityStatement',
  rest: [
    {
      security: {
        extension: [
          { url: OAUTH_URIS_EXTENSION, extension: Object.entries(uris).map(([url, valueUri]) => ({ url, valueUri })) },
        ],
      },
    },
  ],
});

const merge = (documents: DiscoveredDocuments) => mergeDiscoveryDocuments(base, documents, policy, timing);

describe('mergeDiscoveryDocuments', () => {
  it('takes each value from the first source that has it and records the source', () => {
    const description = merge({
      smartConfiguration: smart,
      openid: {
        issuer: smart.issuer!,
        token_endpoint: smart.token_endpoint,
        registration_endpoint: 'https://ehr.example/oidc/reg',
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      },
      rfc8414: { issuer: smart.issuer!, revocation_endpoint: 'https://ehr.example/oidc/revoke' },
    });
    expect(description.endpoints).toEqual({
      authorization: { value: 'https://ehr.example/oidc/auth', source: 'smart-configuration' },
      token: { value: 'https://ehr.example/oidc/token', source: 'smart-configuration' },
      registration: { value: 'https://ehr.example/oidc/reg', source: 'openid' },
      revocation: { value: 'https://ehr.example/oidc/revoke', source: 'rfc8414' },
    });
    expect(description.supported.tokenEndpointAuthMethods).toEqual({ value: ['private_key_jwt'], source: 'openid' });
    expect(description).toMatchObject({
      issuer: { value: smart.issuer, source: 'smart-configuration' },
      capabilities: { value: ['client-confidential-asymmetric'], source: 'smart-configuration' },
      registrationSupported: true,
      sources: ['smart-configuration', 'openid', 'rfc8414'],
      warnings: [],
      fetchedAt: '2025-01-01T00:00:00.000Z',
      expiresAt: '2025-01-01T00:10:00.000Z',
    });
    expect(description).not.toHaveProperty('managementSupported');
  });

  it('warns when sources disagree, keeping the SMART value', () => {
    const description = merge({
      smartConfiguration: { ...smart, registration_endpoint: 'https://ehr.example/oidc/reg' },
      openid: { issuer: smart.issuer!, registration_endpoint: 'https://ehr.example/other/reg' },
    });
    expect(description.endpoints.registration?.value).toBe('https://ehr.example/oidc/reg');
    expect(description.warnings).toEqual([
      'registration_endpoint: openid differs from smart-configuration; using smart-configuration',
    ]);
  });

  it('reads the oauth-uris of a CapabilityStatement alone', () => {
    const description = merge({
      capabilityStatement: capabilityStatement({
        authorize: 'https://old.example/auth',
        token: 'https://old.example/token',
        register: 'https://old.example/register',
        manage: 'https://old.example/manage',
      }),
    });
    expect(description.endpoints.registration).toEqual({
      value: 'https://old.example/register',
      source: 'capability-statement',
    });
    expect(description.endpoints.management?.source).toBe('capability-statement');
    expect(description.sources).toEqual(['capability-statement']);
    expect(description.capabilities).toBeUndefined();
  });

  it('says management is unsupported when registration is', () => {
    expect(merge({ smartConfiguration: smart })).toMatchObject({
      registrationSupported: false,
      managementSupported: false,
    });
  });

  it.each<[string, DiscoveredDocuments, RegExp]>([
    [
      'an OIDC issuer that differs from the SMART issuer',
      { smartConfiguration: smart, openid: { issuer: 'https://evil.example/oidc' } },
      /issuer "https:\/\/evil.example\/oidc" in the openid document differs/,
    ],
    [
      'an RFC 8414 issuer that differs',
      { smartConfiguration: smart, rfc8414: { issuer: 'https://ehr.example/oidc/' } },
      /rfc8414 document differs/,
    ],
    [
      'an http endpoint that is not allow-listed',
      { smartConfiguration: { ...smart, token_endpoint: 'http://ehr.example/token' } },
      /token_endpoint "http:\/\/ehr.example\/token" \(smart-configuration\) is refused.*https is required/,
    ],
    [
      'a registration endpoint on an internal address',
      { smartConfiguration: { ...smart, registration_endpoint: 'https://169.254.169.254/reg' } },
      /registration_endpoint .* link-local/,
    ],
    [
      'PKCE without S256',
      { smartConfiguration: { ...smart, code_challenge_methods_supported: ['plain'] } },
      /lacks S256/,
    ],
  ])('rejects %s', (_name, documents, reason) => {
    expect(() => merge(documents)).toThrow(
      expect.objectContaining({ error: 'invalid_discovery_document', retryable: false }),
    );
    expect(() => merge(documents)).toThrow(reason);
  });

  it('accepts http endpoints on allow-listed hosts and warns about plain PKCE', () => {
    const description = merge({
      smartConfiguration: {
        ...smart,
        token_endpoint: 'http://dev.local:3000/token',
        code_challenge_methods_supported: ['S256', 'plain'],
      },
    });
    expect(description.endpoints.token?.value).toBe('http://dev.local:3000/token');
    expect(description.warnings).toEqual(['code_challenge_methods_supported offers "plain", which SMART forbids']);
  });
});
