import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretValue, type Registration } from '#domain';
import type { RegistrationRepository } from '#persistence';
import { AwsSecretStore, secretNames } from '#secrets';
import { FakeSecretsManager } from '../../../secrets/src/testing/fake-secrets-manager.js';
import { MANAGEMENT_ENTRIES_KEPT } from '../credentials/management-secret.js';
import { sealCredential, type RegistrationCredential } from '../credentials/registration-credential.js';
import { CredentialSaveError, RegistrationCredentialVault } from './credential-vault.js';

/**
 * The layout of a registration's two secrets (client secret; management), against the Secrets
 * Manager fake so that versions are counted where AWS counts them.
 */
const PREFIX = 'vault-test/';
const mock = mockClient(SecretsManagerClient);
let fake: FakeSecretsManager;
let vault: RegistrationCredentialVault;
let rowVersions: string[];

beforeEach(() => {
  mock.reset();
  fake = new FakeSecretsManager();
  fake.install(mock);
  const store = new AwsSecretStore({
    client: new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    namePrefix: PREFIX,
  });
  rowVersions = [];
  const registrations = {
    setCredentialVersion: async (_tenant: string, _id: string, versionId: string) => void rowVersions.push(versionId),
  } as unknown as RegistrationRepository;
  vault = new RegistrationCredentialVault(store, registrations);
});
afterAll(() => mock.restore());

const token = (label: string) => new SecretValue(`${label}-${randomUUID()}`);
const versionsOf = (name: string) => fake.secrets.get(`${PREFIX}${name}`)?.versions.size ?? 0;

/** A registered row and its client secret written as registration writes it (one combined write). */
async function registered(clientId = 'client-a', rat = token('rat-0')) {
  const tenantId = randomUUID();
  const name = secretNames.registrationClient(tenantId, randomUUID(), randomUUID());
  const credential: RegistrationCredential = {
    clientId,
    clientSecret: token('secret-1'),
    management: { registrationClientUri: `https://site.example/register/${clientId}`, registrationAccessToken: rat },
  };
  // The previous layout wrote exactly this too: a secret from before the change is the same case.
  const store = (vault as unknown as { secrets: AwsSecretStore }).secrets;
  const ref = await store.put(name, sealCredential(credential), { requestToken: randomUUID() });
  const registration = {
    id: randomUUID(),
    tenantId,
    appId: 'a',
    healthSystemId: 'h',
    clientId,
    credential: ref,
  } as unknown as Registration;
  return { registration, name, credential, management: secretNames.managementOf(name) };
}

describe('RegistrationCredentialVault: the registration access token in its own secret', () => {
  it('opens a client secret that carries its token (the previous layout) without a management secret', async () => {
    const { registration, credential, management } = await registered();
    const served = await vault.served(registration);
    expect(served?.credential.management?.registrationAccessToken.reveal()).toBe(
      credential.management!.registrationAccessToken.reveal(),
    );
    expect((await vault.latest(registration))?.credential.clientSecret?.reveal()).toBe(
      credential.clientSecret!.reveal(),
    );
    expect(versionsOf(management)).toBe(0);
  });

  it('stores N rotated tokens as N versions of the management secret and none of the client secret', async () => {
    const { registration, name, management } = await registered();
    const calls = 5;
    let latest = '';
    for (let n = 1; n <= calls; n++) {
      const loaded = (await vault.latest(registration))!;
      const absorber = vault.absorber(registration, loaded, randomUUID());
      const rat = token(`rat-${n}`);
      latest = rat.reveal();
      await absorber.onCredentialsChanged({ registrationAccessToken: rat });
      expect(absorber.hasPendingSecret).toBe(false);
      expect(absorber.latestVersion.versionId).toBe(registration.credential!.versionId);
    }
    expect(versionsOf(name)).toBe(1);
    expect(versionsOf(management)).toBe(calls);
    expect(rowVersions).toEqual([]); // the served version did not change, so neither does the row
    // Every read sees the newest token, the served version included.
    expect((await vault.latest(registration))?.credential.management?.registrationAccessToken.reveal()).toBe(latest);
    expect((await vault.served(registration))?.credential.management?.registrationAccessToken.reveal()).toBe(latest);
  });

  it('writes the token before a new secret, and a later token alone changes only the management secret', async () => {
    const { registration, name, management } = await registered();
    const absorber = vault.absorber(registration, (await vault.latest(registration))!, randomUUID());
    const secret = token('secret-2');
    const store = (vault as unknown as { secrets: AwsSecretStore }).secrets;
    const put = jest.spyOn(store, 'put');
    await absorber.onCredentialsChanged({ registrationAccessToken: token('rat-1'), clientSecret: secret });
    expect(put.mock.calls.map(([written, , options]) => [written, options.stage])).toEqual([
      [management, 'AWSCURRENT'],
      [name, 'AWSPENDING'],
    ]);
    expect(versionsOf(management)).toBe(1);
    expect(versionsOf(name)).toBe(2);
    expect(absorber.hasPendingSecret).toBe(true);
    const pendingVersion = absorber.latestVersion.versionId;

    const rat2 = token('rat-2');
    await absorber.onCredentialsChanged({ registrationAccessToken: rat2 });
    expect(versionsOf(name)).toBe(2);
    expect(versionsOf(management)).toBe(2);
    expect(absorber.latestVersion).toEqual({ versionId: pendingVersion, pending: true });

    const latest = (await vault.latest(registration))!;
    expect(latest.pending).toBe(true);
    expect(latest.credential.clientSecret?.reveal()).toBe(secret.reveal());
    expect(latest.credential.management?.registrationAccessToken.reveal()).toBe(rat2.reveal());
  });

  it('keeps a new token when the new secret cannot be stored, and says the token is safe', async () => {
    const { registration, management } = await registered();
    const absorber = vault.absorber(registration, (await vault.latest(registration))!, randomUUID());
    const rat = token('rat-1');
    fake.failNext('PutSecretValue', Object.assign(new Error('boom'), { name: 'InternalServiceError' }));
    const error = await absorber
      .onCredentialsChanged({ registrationAccessToken: rat, clientSecret: token('secret-2') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialSaveError);
    expect((error as CredentialSaveError).lostRegistrationAccessToken).toBe(false);
    expect(versionsOf(management)).toBe(1);
    expect((await vault.latest(registration))?.credential.management?.registrationAccessToken.reveal()).toBe(
      rat.reveal(),
    );
  });

  it('says the token is lost when the management secret cannot be written', async () => {
    const { registration, name } = await registered();
    const absorber = vault.absorber(registration, (await vault.latest(registration))!, randomUUID());
    fake.failNext('CreateSecret', Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const error = await absorber
      .onCredentialsChanged({ registrationAccessToken: token('rat-1'), clientSecret: token('secret-2') })
      .catch((caught: unknown) => caught);
    expect((error as CredentialSaveError).lostRegistrationAccessToken).toBe(true);
    expect(versionsOf(name)).toBe(1); // nothing after the token was attempted
  });

  it('keeps the old client’s token through a re-registration, each client reading its own', async () => {
    const { registration, name } = await registered('client-a');
    const absorber = vault.absorber(registration, (await vault.latest(registration))!, randomUUID());
    const ratA = token('rat-a1');
    await absorber.onCredentialsChanged({ registrationAccessToken: ratA });
    const ratB = token('rat-b0');
    const staged = await vault.stage(
      name,
      {
        clientId: 'client-b',
        clientSecret: token('secret-b'),
        management: { registrationClientUri: 'https://site.example/register/client-b', registrationAccessToken: ratB },
      },
      randomUUID(),
    );
    const replacement = await vault.pendingReplacement(registration);
    expect(replacement?.versionId).toBe(staged.versionId);
    expect(replacement?.credential.management?.registrationAccessToken.reveal()).toBe(ratB.reveal());
    expect((await vault.served(registration))?.credential.management?.registrationAccessToken.reveal()).toBe(
      ratA.reveal(),
    );
  });

  it('remembers a bounded number of clients', async () => {
    const { registration, management } = await registered();
    for (let n = 0; n < MANAGEMENT_ENTRIES_KEPT + 2; n++) {
      const other = { ...registration, clientId: `client-${n}` } as Registration;
      await vault.saveManagement(
        other,
        `client-${n}`,
        { registrationClientUri: `https://site.example/register/${n}`, registrationAccessToken: token('rat') },
        randomUUID(),
      );
    }
    const stored = fake.secrets.get(`${PREFIX}${management}`)!;
    const current = [...stored.versions.values()].find((version) => version.stages.includes('AWSCURRENT'))!;
    expect((JSON.parse(current.value) as { clients: unknown[] }).clients).toHaveLength(MANAGEMENT_ENTRIES_KEPT);
  });

  it('deletes both secrets of the registration', async () => {
    const { registration, name, management } = await registered();
    const absorber = vault.absorber(registration, (await vault.latest(registration))!, randomUUID());
    await absorber.onCredentialsChanged({ registrationAccessToken: token('rat-1') });
    await vault.delete(name);
    expect(fake.secrets.get(`${PREFIX}${name}`)?.scheduledForDeletion).toBe(true);
    expect(fake.secrets.get(`${PREFIX}${management}`)?.scheduledForDeletion).toBe(true);
    expect(await vault.latest(registration)).toBeNull();
  });
});
