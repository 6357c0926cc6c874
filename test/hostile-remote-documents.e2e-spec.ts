import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DEFAULT_DOCUMENT_BOUNDS } from '#domain';
import { validAppBody } from './support/api-harness.js';
import {
  ALL_SCOPES,
  OPERATOR,
  listRegistrations,
  startBroker,
  waitForOnboarding,
  type BrokerHarness,
} from './support/broker-harness.js';
import { startHostileSite, type HostileSite } from './support/hostile-site.js';

jest.setTimeout(180_000);

const DEPTH = 200_000;

/**
 * A site answers the registration with a member nested 200,000 arrays deep (under 1 MB). The
 * broker keeps a bounded copy of the answer, registers the client and says what it cut; before,
 * saving it overflowed the stack and the registration ended as `orphan_suspected`.
 */
describe('hostile remote documents', () => {
  let broker: BrokerHarness;
  let site: HostileSite;

  beforeAll(async () => {
    site = await startHostileSite(
      // Known RFC 7591 members (unknown ones are set aside by the normaliser and never stored).
      `"jwks":{"keys":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}},"contacts":[${Array(5_000).fill('"w@example.org"').join(',')}]`,
    );
    broker = await startBroker({ OUTBOUND_ALLOWED_HOSTS: `127.0.0.1,localhost` });
  });
  afterAll(async () => {
    await broker?.close();
    await site?.close();
  });

  it('registers the client with a bounded copy of the answer and a note', async () => {
    const created = await broker.api
      .http()
      .post('/v1/admin/health-systems')
      .set(OPERATOR)
      .send({ name: 'Hostile site', fhirBaseUrl: site.fhirBaseUrl })
      .expect(201);
    const { auth } = await broker.api.tenantWithKey(ALL_SCOPES, 'Hostile');
    const app = await broker.api.http().post('/v1/apps').set(auth).send(validAppBody()).expect(201);
    const onboarding = await broker.api
      .http()
      .post(`/v1/apps/${app.body.id}/onboardings`)
      .set(auth)
      .set('Idempotency-Key', randomUUID())
      .send({ healthSystemIds: [created.body.id] })
      .expect(202);
    const progress = await waitForOnboarding(broker.api, auth, onboarding.body.id, 120_000);
    expect(progress.completed).toBe(true);

    const [registration] = await listRegistrations(broker.api, auth, { onboardingId: onboarding.body.id });
    expect(registration?.state).toBe('registered');
    expect(site.clientIds).toEqual([registration?.clientId]);
    const detail = await broker.api.http().get(`/v1/registrations/${registration!.id}`).set(auth).expect(200);
    const granted = detail.body.grantedMetadata as Record<string, unknown>;
    expect(granted.client_name).toBe('Growth Chart');
    expect((granted.contacts as unknown[]).length).toBe(DEFAULT_DOCUMENT_BOUNDS.maxMembers);
    expect(JSON.stringify(granted).length).toBeLessThan(DEFAULT_DOCUMENT_BOUNDS.maxBytes);
    expect(JSON.stringify(detail.body)).toMatch(
      /the site's answer was cut before storing \(contacts: 4800 array items or object members dropped \(more than 200 in one\); jwks: values nested deeper than 8 levels/,
    );
  });
});
