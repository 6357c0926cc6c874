import { assertValidSecretName } from './secret-input.js';
import { secretNames } from './secret-names.js';

describe('secretNames', () => {
  const tenantId = '0b6f4b5e-8a7e-4d0e-9a59-3d4c1f0e2a11';
  const appId = '5f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';
  const healthSystemId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

  it('builds one name per credential kind', () => {
    expect(secretNames.registrationClient(tenantId, appId, healthSystemId)).toBe(
      `tenants/${tenantId}/apps/${appId}/health-systems/${healthSystemId}/client`,
    );
    expect(secretNames.registrationManagement(tenantId, appId, healthSystemId)).toBe(
      `tenants/${tenantId}/apps/${appId}/health-systems/${healthSystemId}/client/management`,
    );
    expect(secretNames.initialAccessToken(healthSystemId)).toBe(
      `health-systems/${healthSystemId}/initial-access-token`,
    );
    expect(secretNames.appSigningKey(tenantId, appId, 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')).toBe(
      `tenants/${tenantId}/apps/${appId}/keys/NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs`,
    );
    expect(secretNames.webhookSigningSecret(healthSystemId, 'ep_1')).toBe(
      `health-systems/${healthSystemId}/webhooks/ep_1/signing-secret`,
    );
  });

  it('produces names every store accepts', () => {
    for (const name of [
      secretNames.registrationClient(tenantId, appId, healthSystemId),
      secretNames.registrationManagement(tenantId, appId, healthSystemId),
      secretNames.initialAccessToken(healthSystemId),
      secretNames.appSigningKey(tenantId, appId, 'kid-1'),
      secretNames.webhookSigningSecret(healthSystemId, 'ep_1'),
    ]) {
      expect(() => assertValidSecretName(name)).not.toThrow();
    }
  });

  it.each([
    ['a slash', 'other-tenant/apps'],
    ['a dot segment', '..'],
    ['an empty id', ''],
    ['a space', 'a b'],
  ])('refuses an id with %s, so no id can reach outside its own segment', (_label, id) => {
    expect(() => secretNames.registrationClient(id, appId, healthSystemId)).toThrow(/tenantId/);
    expect(() => secretNames.initialAccessToken(id)).toThrow(/healthSystemId/);
  });
});
