import { randomUUID } from 'node:crypto';
import {
  DomainError,
  NotFoundError,
  SecretValue,
  type PutSecretOptions,
  type SecretRef,
  type SecretStage,
  type SecretStore,
  type StoredSecret,
} from '#domain';
import type pg from 'pg';
import type { Prisma, PrismaClient } from '#persistence';
import { SecretDecryptionError, SecretRequestTokenReusedError, SecretStoreUnavailableError } from '../errors.js';
import { assertValidRequestToken, assertValidSecretName, assertValidSecretValue } from '../secret-input.js';
import { assertAesKey, open, seal, type SealedSecret } from './aes-gcm.js';
import { changedVersions, labelsAfterWrite, moveStage, type StageLabels } from './stage-labels.js';

type Operation = 'put' | 'get' | 'promote' | 'delete';

/** Plain `pg` on the pool under the store's Prisma client, for the hot statements (first writes, reads). */
export interface DirectWrites {
  pool: pg.Pool;
  /** False behind a pooler that cannot keep prepared statements (`DATABASE_PREPARED_STATEMENTS`). */
  preparedStatements: boolean;
}
type VersionRow = { versionId: string; ciphertext: Uint8Array; iv: Uint8Array; authTag: Uint8Array; stages: string[] };

/**
 * First half of the two-key advisory lock taken per secret name, so these locks cannot collide
 * with advisory locks other parts of the broker take on the same database ("sm" in ASCII).
 */
const ADVISORY_LOCK_NAMESPACE = 0x736d;
/** Writers of one secret queue behind each other on the advisory lock; give them room. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

/**
 * The embedded secret store: one `SecretVersion` row per version, the value sealed with
 * AES-256-GCM (see aes-gcm.ts), stage labels as in Secrets Manager. Every write of a secret runs
 * in one transaction holding a per-name advisory lock (taken even before the first row exists,
 * which row locks could not cover), so concurrent writers never leave two `AWSCURRENT` labels.
 * Deleting removes the rows: a deleted credential is gone, not hidden.
 */
export class LocalSecretStore implements SecretStore {
  readonly backend = 'local' as const;
  readonly #prisma: PrismaClient;
  readonly #key: Buffer;
  readonly #direct: DirectWrites | undefined;

  /**
   * `direct`: the pool under `prisma`, for the one-statement first write (without it, every write
   * takes the lock's transaction).
   */
  constructor(prisma: PrismaClient, key: Buffer, direct?: DirectWrites) {
    assertAesKey(key);
    this.#prisma = prisma;
    this.#key = Buffer.from(key);
    this.#direct = direct;
  }

  async put(name: string, value: SecretValue, options: PutSecretOptions): Promise<SecretRef> {
    assertValidSecretName(name);
    assertValidRequestToken(options.requestToken);
    assertValidSecretValue(value);
    const stage = options.stage ?? 'AWSCURRENT';
    return this.#run('put', name, async () => {
      const first = await this.#putFirstVersion(name, value, options.requestToken, stage);
      return first ?? this.#putVersion(name, value, options.requestToken, stage);
    });
  }

  /**
   * The first version of a secret (every new registration's credential), in ONE statement: it
   * inserts only where the secret has no version yet. Under the same advisory lock as the other
   * writes; a writer that committed after this statement's snapshot is caught by the unique index
   * on the AWSCURRENT version (which every first version holds), and the insert does nothing.
   * Null when the secret already had a version, or a replay: the general path decides.
   */
  async #putFirstVersion(
    name: string,
    value: SecretValue,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
  ): Promise<SecretRef | null> {
    if (!this.#direct) return null;
    const { pool, preparedStatements } = this.#direct;
    const versionId = randomUUID();
    const sealed = seal(this.#key, value.reveal(), name, versionId);
    const stages = [...(labelsAfterWrite(new Map(), versionId, stage).get(versionId) ?? [])];
    const { rowCount } = await pool.query({
      // Named (parsed and planned once per connection) unless a pooler cannot keep prepared statements.
      ...(preparedStatements && { name: 'secret_first_version' }),
      text: `WITH lock AS (SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}::int4, hashtext($1)))
             INSERT INTO "SecretVersion" ("secretName", "versionId", "ciphertext", "iv", "authTag", "stages", "requestToken")
             SELECT $1, $2, $3, $4, $5, $6::text[], $7 FROM lock
              WHERE NOT EXISTS (SELECT 1 FROM "SecretVersion" WHERE "secretName" = $1)
             ON CONFLICT DO NOTHING`,
      values: [name, versionId, sealed.ciphertext, sealed.iv, sealed.authTag, stages, requestToken],
    });
    return rowCount === 1 ? { name, versionId } : null;
  }

  /** Any write, in one transaction holding the secret's advisory lock: replays, label moves, the new version. */
  #putVersion(
    name: string,
    value: SecretValue,
    requestToken: string,
    stage: 'AWSCURRENT' | 'AWSPENDING',
  ): Promise<SecretRef> {
    return this.#prisma.$transaction(async (tx) => {
      await lockSecret(tx, name);
      const versions = await loadVersions(tx, name);
      const replay = versions.find((version) => version.requestToken === requestToken);
      if (replay) {
        // Secrets Manager semantics of ClientRequestToken: same value = no-op, other value = error.
        const stored = await tx.secretVersion.findUniqueOrThrow({
          where: { secretName_versionId: { secretName: name, versionId: replay.versionId } },
        });
        if (!this.#decrypt(name, stored).equals(value)) throw new SecretRequestTokenReusedError(name);
        return { name, versionId: replay.versionId };
      }
      const versionId = randomUUID();
      const before = labelsOf(versions);
      const after = labelsAfterWrite(before, versionId, stage);
      await updateLabels(tx, name, before, after, versionId);
      await tx.secretVersion.create({
        data: {
          secretName: name,
          versionId,
          ...toColumns(seal(this.#key, value.reveal(), name, versionId)),
          stages: [...(after.get(versionId) ?? [])],
          requestToken,
        },
      });
      return { name, versionId };
    }, TRANSACTION_OPTIONS);
  }

  async get(name: string, selector: { versionId?: string; stage?: SecretStage } = {}): Promise<StoredSecret | null> {
    assertValidSecretName(name);
    return this.#run('get', name, async () => {
      const row = this.#direct
        ? await this.#readVersion(this.#direct, name, selector)
        : selector.versionId
          ? await this.#prisma.secretVersion.findUnique({
              where: { secretName_versionId: { secretName: name, versionId: selector.versionId } },
            })
          : await this.#prisma.secretVersion.findFirst({
              where: { secretName: name, stages: { has: selector.stage ?? 'AWSCURRENT' } },
            });
      // Both given: the version must hold that stage, as GetSecretValue requires.
      if (!row || (selector.versionId && selector.stage && !row.stages.includes(selector.stage))) return null;
      return { value: this.#decrypt(name, row), versionId: row.versionId, stages: row.stages as SecretStage[] };
    });
  }

  /** One version by id, or the one holding a stage: a read on every verify and rotation, so plain `pg`. */
  async #readVersion(
    { pool, preparedStatements }: DirectWrites,
    name: string,
    selector: { versionId?: string; stage?: SecretStage },
  ): Promise<VersionRow | null> {
    const columns = `"versionId", "ciphertext", "iv", "authTag", "stages"`;
    const query = selector.versionId
      ? {
          name: 'secret_version_by_id',
          text: `SELECT ${columns} FROM "SecretVersion" WHERE "secretName" = $1 AND "versionId" = $2`,
          values: [name, selector.versionId],
        }
      : {
          name: 'secret_version_by_stage',
          text: `SELECT ${columns} FROM "SecretVersion" WHERE "secretName" = $1 AND $2 = ANY("stages") LIMIT 1`,
          values: [name, selector.stage ?? 'AWSCURRENT'],
        };
    const { rows } = await pool.query<VersionRow>(
      preparedStatements ? query : { text: query.text, values: query.values },
    );
    return rows[0] ?? null;
  }

  async promote(name: string, versionId: string): Promise<void> {
    assertValidSecretName(name);
    await this.#run('promote', name, () =>
      this.#prisma.$transaction(async (tx) => {
        await lockSecret(tx, name);
        const before = labelsOf(await loadVersions(tx, name));
        if (!before.has(versionId)) throw new NotFoundError('secret version', `${name}@${versionId}`);
        await updateLabels(tx, name, before, moveStage(before, versionId, 'AWSCURRENT'));
      }, TRANSACTION_OPTIONS),
    );
  }

  async delete(name: string): Promise<void> {
    assertValidSecretName(name);
    await this.#run('delete', name, () => this.#prisma.secretVersion.deleteMany({ where: { secretName: name } }));
  }

  #decrypt(name: string, row: VersionRow): SecretValue {
    const sealed = {
      ciphertext: Buffer.from(row.ciphertext),
      iv: Buffer.from(row.iv),
      authTag: Buffer.from(row.authTag),
    };
    const plaintext = open(this.#key, sealed, name, row.versionId);
    if (plaintext === null) throw new SecretDecryptionError(name, row.versionId);
    return new SecretValue(plaintext);
  }

  /** Domain errors pass through; database failures become a retryable error naming only their code. */
  async #run<T>(operation: Operation, name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new SecretStoreUnavailableError({
        backend: 'local',
        operation,
        secretName: name,
        retryable: true,
        reason: errorCode(error),
      });
    }
  }
}

async function lockSecret(tx: Prisma.TransactionClient, name: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_NAMESPACE}::int4, hashtext(${name}))`;
}

/** Every version of a secret without its value: labels, and request tokens to spot a replay. */
async function loadVersions(tx: Prisma.TransactionClient, name: string) {
  return tx.secretVersion.findMany({
    where: { secretName: name },
    select: { versionId: true, stages: true, requestToken: true },
  });
}

function labelsOf(versions: Array<{ versionId: string; stages: string[] }>): StageLabels {
  return new Map(versions.map((version) => [version.versionId, version.stages as SecretStage[]]));
}

/** Writes the labels that changed, except for `skip` (a version not inserted yet). */
async function updateLabels(
  tx: Prisma.TransactionClient,
  name: string,
  before: StageLabels,
  after: StageLabels,
  skip?: string,
): Promise<void> {
  // A version losing AWSCURRENT first: the unique index allows one current version at any moment.
  const changed = changedVersions(before, after).sort(
    (a, b) =>
      Number(after.get(a)?.includes('AWSCURRENT') ?? false) - Number(after.get(b)?.includes('AWSCURRENT') ?? false),
  );
  for (const versionId of changed) {
    if (versionId === skip) continue;
    await tx.secretVersion.update({
      where: { secretName_versionId: { secretName: name, versionId } },
      data: { stages: [...(after.get(versionId) ?? [])] },
    });
  }
}

/** Prisma's `Bytes` is a `Uint8Array` over a plain ArrayBuffer; Node's Buffers may sit on a shared pool. */
function toColumns(sealed: SealedSecret): {
  ciphertext: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  authTag: Uint8Array<ArrayBuffer>;
} {
  return {
    ciphertext: new Uint8Array(sealed.ciphertext),
    iv: new Uint8Array(sealed.iv),
    authTag: new Uint8Array(sealed.authTag),
  };
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (typeof name === 'string') return name;
  }
  return 'unknown error';
}
