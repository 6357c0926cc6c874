import type { HealthSystem } from '#domain';
import { toDiscoverySummary } from './responses.js';

const site = (overrides: Partial<HealthSystem>): HealthSystem => ({
  id: '3f0c2a8e-6b1d-4c7e-9a52-1e8d7f4b2c90',
  name: 'Mercy General',
  fhirBaseUrl: 'https://fhir.mercy.example.org/r4',
  vendor: null,
  siteConcurrency: null,
  initialAccessToken: null,
  discovery: null,
  discoveredAt: null,
  registrationMode: 'automatic',
  discoveryError: null,
  udapDiscovered: false,
  createdAt: new Date('2026-12-01T00:00:00Z'),
  updatedAt: new Date('2026-12-01T00:00:00Z'),
  ...overrides,
});

const description = {
  registrationSupported: true,
  endpoints: { registration: { value: 'https://fhir.mercy.example.org/oauth/register' } },
  supported: { tokenEndpointAuthMethods: { value: ['client_secret_basic', 'private_key_jwt'] } },
  sources: ['smart-configuration'],
  warnings: [],
};
const failure = { error: 'discovery_failed', description: 'the site answered 404', at: '2026-12-02T10:00:00.000Z' };

describe('discovery summary', () => {
  it('is pending before any discovery', () => {
    expect(toDiscoverySummary(site({}))).toMatchObject({ status: 'pending', lastError: null });
  });

  it('is ok with what discovery found', () => {
    const summary = toDiscoverySummary(site({ discovery: description, discoveredAt: new Date() }), true);
    expect(summary).toMatchObject({
      status: 'ok',
      registrationSupported: true,
      managementSupported: true,
      tokenEndpointAuthMethods: ['client_secret_basic', 'private_key_jwt'],
    });
  });

  it('is failed, with the reason, when the last discovery failed (even after an earlier success)', () => {
    expect(toDiscoverySummary(site({ discoveryError: failure }))).toMatchObject({
      status: 'failed',
      lastError: failure,
    });
    const earlier = new Date('2026-12-01T00:00:00Z');
    const summary = toDiscoverySummary(
      site({ discovery: description, discoveredAt: earlier, discoveryError: failure }),
    );
    expect(summary).toMatchObject({ status: 'failed', registrationSupported: true, lastError: failure });
  });

  it('is ok again once a later discovery succeeded', () => {
    const later = new Date('2026-12-03T00:00:00Z');
    const summary = toDiscoverySummary(site({ discovery: description, discoveredAt: later, discoveryError: failure }));
    expect(summary.status).toBe('ok');
  });
});
