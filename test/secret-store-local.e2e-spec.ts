import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { SecretValue } from '#domain';
import { createDatabaseClients, type PrismaClient } from '#persistence';
import { LocalSecretStore, SecretDecryptionError } from '#secrets';
import { describeSecretStoreContract } from '../libs/secrets/src/secret-store.contract.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test';
const KEY = randomBytes(32);

// As the broker runs it: with the pool under the client (a secret's first version in one statement)...
describeSecretStoreContract('LocalSecretStore (PostgreSQL)', async () => {
  const { prisma, pool } = createDatabaseClients(DATABASE_URL);
  return {
    store: new LocalSecretStore(prisma, KEY, { pool, preparedStatements: true }),
    cleanup: () => prisma.$disconnect(),
  };
});

// ...and without it (every write in the advisory lock's transaction).
describeSecretStoreContract('LocalSecretStore (PostgreSQL, transactions only)', async () => {
  const { prisma } = createDatabaseClients(DATABASE_URL);
  return { store: new LocalSecretStore(prisma, KEY), cleanup: () => prisma.$disconnect() };
});

describe('LocalSecretStore encryption and concurrency', () => {
  let prisma: PrismaClient;
  let store: LocalSecretStore;
  const run = `local-${randomUUID().slice(0, 8)}`;
  const newName = () => `${run}/${randomUUID()}`;
  const token = () => randomUUID();

  beforeAll(() => {
    const clients = createDatabaseClients(DATABASE_URL);
    prisma = clients.prisma;
    store = new LocalSecretStore(prisma, KEY, { pool: clients.pool, preparedStatements: true });
  });

  afterAll(async () => {
    await prisma.secretVersion.deleteMany({ where: { secretName: { startsWith: `${run}/` } } });
    await prisma.$disconnect();
  });

  const rowOf = (secretName: string, versionId: string) =>
    prisma.secretVersion.findUniqueOrThrow({ where: { secretName_versionId: { secretName, versionId } } });

  it('keeps only ciphertext in the table, with a fresh 96-bit IV per version', async () => {
    const name = newName();
    const value = new SecretValue(`plaintext-${randomUUID()}`);
    const v1 = await store.put(name, value, { requestToken: token() });
    const v2 = await store.put(name, value, { requestToken: token() });

    const [row1, row2] = await Promise.all([rowOf(name, v1.versionId), rowOf(name, v2.versionId)]);

    for (const row of [row1, row2]) {
      expect(Buffer.from(row.ciphertext).includes(Buffer.from(value.reveal()))).toBe(false);
      expect(inspect(row)).not.toContain(value.reveal());
      expect(row.iv).toHaveLength(12);
      expect(row.authTag).toHaveLength(16);
    }
    expect(Buffer.from(row1.iv).equals(Buffer.from(row2.iv))).toBe(false);
    expect(Buffer.from(row1.ciphertext).equals(Buffer.from(row2.ciphertext))).toBe(false);
  });

  it('refuses a tampered ciphertext, and the error does not quote the value', async () => {
    const name = newName();
    const value = new SecretValue(`tamper-me-${randomUUID()}`);
    const ref = await store.put(name, value, { requestToken: token() });
    const row = await rowOf(name, ref.versionId);
    const tampered = new Uint8Array(row.ciphertext);
    tampered[0] = (tampered[0] ?? 0) ^ 0x01;
    await prisma.secretVersion.update({
      where: { secretName_versionId: { secretName: name, versionId: ref.versionId } },
      data: { ciphertext: tampered },
    });

    const error = await store.get(name).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(`${String(error)} ${inspect(error)}`).not.toContain(value.reveal());
  });

  it('refuses a ciphertext copied under another secret name', async () => {
    const source = newName();
    const target = newName();
    const sourceRef = await store.put(source, new SecretValue('belongs-to-source'), { requestToken: token() });
    const targetRef = await store.put(target, new SecretValue('belongs-to-target'), { requestToken: token() });
    const copied = await rowOf(source, sourceRef.versionId);
    await prisma.secretVersion.update({
      where: { secretName_versionId: { secretName: target, versionId: targetRef.versionId } },
      data: { ciphertext: copied.ciphertext, iv: copied.iv, authTag: copied.authTag },
    });

    await expect(store.get(target)).rejects.toBeInstanceOf(SecretDecryptionError);
    expect((await store.get(source))?.value.reveal()).toBe('belongs-to-source');
  });

  it('refuses to decrypt with another key', async () => {
    const name = newName();
    await store.put(name, new SecretValue('only-for-the-right-key'), { requestToken: token() });

    const otherKeyStore = new LocalSecretStore(prisma, randomBytes(32));

    await expect(otherKeyStore.get(name)).rejects.toBeInstanceOf(SecretDecryptionError);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => new LocalSecretStore(prisma, randomBytes(16))).toThrow(/32-byte/);
  });

  it('leaves exactly one AWSCURRENT and one AWSPREVIOUS after concurrent writers', async () => {
    const name = newName();
    // Two connection pools, as two worker processes would have; one store writes every version in
    // the lock's transaction, so first writes in one statement race writes in transactions.
    const otherPrisma = createDatabaseClients(DATABASE_URL).prisma;
    const otherStore = new LocalSecretStore(otherPrisma, KEY);
    try {
      const writers = Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? otherStore : store).put(name, new SecretValue(`value-${i}`), { requestToken: token() }),
      );
      const refs = await Promise.all(writers);

      const rows = await prisma.secretVersion.findMany({ where: { secretName: name } });
      expect(rows).toHaveLength(12);
      expect(rows.filter((row) => row.stages.includes('AWSCURRENT'))).toHaveLength(1);
      expect(rows.filter((row) => row.stages.includes('AWSPREVIOUS'))).toHaveLength(1);
      expect(refs.map((ref) => ref.versionId)).toContain((await store.get(name))?.versionId);
    } finally {
      await otherPrisma.$disconnect();
    }
  });

  it('writes one version when the same request is retried concurrently', async () => {
    const name = newName();
    const requestToken = token();
    const refs = await Promise.all(
      Array.from({ length: 6 }, () => store.put(name, new SecretValue('same-value'), { requestToken })),
    );

    expect(new Set(refs.map((ref) => ref.versionId)).size).toBe(1);
    expect(await prisma.secretVersion.count({ where: { secretName: name } })).toBe(1);
  });
});
