import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode, NotFoundError, SecretValue, ValidationError, type SecretStore } from '#domain';
import { SecretRequestTokenReusedError } from './errors.js';

export interface SecretStoreUnderTest {
  store: SecretStore;
  /** Releases what `makeStore` opened (connections). Secrets the suite wrote are deleted by the suite. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every `SecretStore` must show, run against each backend (local on PostgreSQL,
 * AWS through a Secrets Manager fake). Test files call it inside their own module:
 * `describeSecretStoreContract('LocalSecretStore', async () => ({ store, cleanup }))`.
 */
export function describeSecretStoreContract(name: string, makeStore: () => Promise<SecretStoreUnderTest>): void {
  describe(`${name} satisfies the SecretStore contract`, () => {
    let store: SecretStore;
    let cleanup: () => Promise<void>;
    const run = randomUUID().slice(0, 8);
    const written = new Set<string>();

    /** A fresh secret name per test, remembered so the suite can delete it afterwards. */
    const newName = (): string => {
      const secretName = `contract-${run}/${randomUUID()}`;
      written.add(secretName);
      return secretName;
    };
    const newToken = (): string => randomUUID();
    /** Distinctive values, so a leak into a message or a dump is easy to spot. */
    const newValue = (): SecretValue => new SecretValue(`contract-value-${randomUUID()}`);

    beforeAll(async () => {
      ({ store, cleanup } = await makeStore());
    });

    afterAll(async () => {
      for (const secretName of written) await store.delete(secretName);
      await cleanup();
    });

    it('returns the value it stored, as the current version', async () => {
      const secretName = newName();
      const value = newValue();
      const ref = await store.put(secretName, value, { requestToken: newToken() });

      expect(ref.name).toBe(secretName);
      const stored = await store.get(secretName);
      expect(stored?.value.reveal()).toBe(value.reveal());
      expect(stored?.versionId).toBe(ref.versionId);
      expect(stored?.stages).toEqual(['AWSCURRENT']);
    });

    it('keeps the replaced current version as AWSPREVIOUS and readable by its version id', async () => {
      const secretName = newName();
      const first = newValue();
      const second = newValue();
      const v1 = await store.put(secretName, first, { requestToken: newToken() });
      const v2 = await store.put(secretName, second, { requestToken: newToken(), stage: 'AWSCURRENT' });

      expect(v2.versionId).not.toBe(v1.versionId);
      expect((await store.get(secretName))?.value.reveal()).toBe(second.reveal());
      const previous = await store.get(secretName, { stage: 'AWSPREVIOUS' });
      expect(previous?.versionId).toBe(v1.versionId);
      expect(previous?.value.reveal()).toBe(first.reveal());
      expect((await store.get(secretName, { versionId: v1.versionId }))?.stages).toEqual(['AWSPREVIOUS']);
    });

    it('stages a pending version without touching the current one, then promotes it', async () => {
      const secretName = newName();
      const old = newValue();
      const rotated = newValue();
      const v1 = await store.put(secretName, old, { requestToken: newToken() });
      const v2 = await store.put(secretName, rotated, { requestToken: newToken(), stage: 'AWSPENDING' });

      expect((await store.get(secretName))?.versionId).toBe(v1.versionId);
      const pending = await store.get(secretName, { stage: 'AWSPENDING' });
      expect(pending?.versionId).toBe(v2.versionId);
      expect(pending?.value.reveal()).toBe(rotated.reveal());

      await store.promote(secretName, v2.versionId);

      const current = await store.get(secretName);
      expect(current?.versionId).toBe(v2.versionId);
      expect(current?.stages).toEqual(['AWSCURRENT']);
      expect(current?.value.reveal()).toBe(rotated.reveal());
      expect((await store.get(secretName, { stage: 'AWSPREVIOUS' }))?.versionId).toBe(v1.versionId);
      expect(await store.get(secretName, { stage: 'AWSPENDING' })).toBeNull();
    });

    it('treats promoting the current version again as a no-op', async () => {
      const secretName = newName();
      const v1 = await store.put(secretName, newValue(), { requestToken: newToken() });
      const v2 = await store.put(secretName, newValue(), { requestToken: newToken() });

      await store.promote(secretName, v2.versionId);

      expect((await store.get(secretName))?.versionId).toBe(v2.versionId);
      expect((await store.get(secretName, { stage: 'AWSPREVIOUS' }))?.versionId).toBe(v1.versionId);
    });

    it('keeps each label on one version only: a third write moves AWSPREVIOUS on', async () => {
      const secretName = newName();
      const v1 = await store.put(secretName, newValue(), { requestToken: newToken() });
      const v2 = await store.put(secretName, newValue(), { requestToken: newToken() });
      const v3 = await store.put(secretName, newValue(), { requestToken: newToken(), stage: 'AWSPENDING' });
      await store.promote(secretName, v3.versionId);

      expect((await store.get(secretName))?.versionId).toBe(v3.versionId);
      expect((await store.get(secretName, { stage: 'AWSPREVIOUS' }))?.versionId).toBe(v2.versionId);
      expect((await store.get(secretName, { versionId: v1.versionId }))?.stages).toEqual([]);
    });

    it('makes the first version of a secret AWSCURRENT even when it is written as AWSPENDING (as AWS does)', async () => {
      const secretName = newName();
      const value = newValue();
      const ref = await store.put(secretName, value, { requestToken: newToken(), stage: 'AWSPENDING' });

      const current = await store.get(secretName);
      expect(current?.versionId).toBe(ref.versionId);
      expect([...(current?.stages ?? [])].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
      await store.promote(secretName, ref.versionId);
      expect((await store.get(secretName))?.stages).toEqual(['AWSCURRENT']);
      // A later pending version is only pending.
      const next = await store.put(secretName, newValue(), { requestToken: newToken(), stage: 'AWSPENDING' });
      expect((await store.get(secretName))?.versionId).toBe(ref.versionId);
      expect((await store.get(secretName, { stage: 'AWSPENDING' }))?.versionId).toBe(next.versionId);
    });

    it('answers a repeated requestToken with the same value by returning the existing version', async () => {
      const secretName = newName();
      const first = newValue();
      const token = newToken();
      const v1 = await store.put(secretName, first, { requestToken: token });
      const v2 = await store.put(secretName, newValue(), { requestToken: newToken() });

      const replay = await store.put(secretName, new SecretValue(first.reveal()), { requestToken: token });

      expect(replay.versionId).toBe(v1.versionId);
      // The replay created nothing and moved no label.
      expect((await store.get(secretName))?.versionId).toBe(v2.versionId);
      expect((await store.get(secretName, { stage: 'AWSPREVIOUS' }))?.versionId).toBe(v1.versionId);
    });

    it('rejects a repeated requestToken with another value, without quoting either value', async () => {
      const secretName = newName();
      const first = newValue();
      const other = newValue();
      const token = newToken();
      await store.put(secretName, first, { requestToken: token });

      const error = await store.put(secretName, other, { requestToken: token }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(SecretRequestTokenReusedError);
      expect((error as SecretRequestTokenReusedError).code).toBe(ErrorCode.IdempotencyKeyReused);
      expect((error as SecretRequestTokenReusedError).retryable).toBe(false);
      for (const value of [first, other]) expect(dump(error)).not.toContain(value.reveal());
      expect((await store.get(secretName))?.value.reveal()).toBe(first.reveal());
    });

    it('reads a version by id, and only with the stage it holds when both are given', async () => {
      const secretName = newName();
      const first = newValue();
      const v1 = await store.put(secretName, first, { requestToken: newToken() });
      await store.put(secretName, newValue(), { requestToken: newToken() });

      expect((await store.get(secretName, { versionId: v1.versionId }))?.value.reveal()).toBe(first.reveal());
      expect(await store.get(secretName, { versionId: v1.versionId, stage: 'AWSPREVIOUS' })).not.toBeNull();
      expect(await store.get(secretName, { versionId: v1.versionId, stage: 'AWSCURRENT' })).toBeNull();
    });

    it('returns null for a missing secret, version or stage', async () => {
      const secretName = newName();
      expect(await store.get(secretName)).toBeNull();
      await store.put(secretName, newValue(), { requestToken: newToken() });
      expect(await store.get(secretName, { versionId: randomUUID() })).toBeNull();
      expect(await store.get(secretName, { stage: 'AWSPENDING' })).toBeNull();
    });

    it('refuses to promote a version or secret that does not exist', async () => {
      const secretName = newName();
      await expect(store.promote(secretName, randomUUID())).rejects.toBeInstanceOf(NotFoundError);
      await store.put(secretName, newValue(), { requestToken: newToken() });
      await expect(store.promote(secretName, randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    });

    it('deletes all versions, and deleting again (or a never-written name) succeeds', async () => {
      const secretName = newName();
      const v1 = await store.put(secretName, newValue(), { requestToken: newToken() });
      await store.put(secretName, newValue(), { requestToken: newToken() });

      await store.delete(secretName);

      expect(await store.get(secretName)).toBeNull();
      expect(await store.get(secretName, { versionId: v1.versionId })).toBeNull();
      await expect(store.delete(secretName)).resolves.toBeUndefined();
      await expect(store.delete(newName())).resolves.toBeUndefined();
    });

    it('can write a secret again after deleting it', async () => {
      const secretName = newName();
      await store.put(secretName, newValue(), { requestToken: newToken() });
      await store.delete(secretName);
      const value = newValue();

      await store.put(secretName, value, { requestToken: newToken() });

      expect((await store.get(secretName))?.value.reveal()).toBe(value.reveal());
    });

    it('never shows a value in JSON or util.inspect of what it returns', async () => {
      const secretName = newName();
      const value = newValue();
      await store.put(secretName, value, { requestToken: newToken() });

      const stored = await store.get(secretName);

      expect(JSON.stringify(stored)).not.toContain(value.reveal());
      expect(inspect(stored, { depth: 10, showHidden: true })).not.toContain(value.reveal());
      expect(String(stored?.value)).toBe('[REDACTED]');
    });

    it.each([
      ['a space', 'tenants/a b'],
      ['a non-ASCII letter', 'tenants/\u00e4'],
      ['a colon', 'tenants:1'],
      ['an empty name', ''],
      ['more than 512 characters', 'a'.repeat(513)],
    ])('rejects a name with %s before storing anything', async (_label, badName) => {
      const value = newValue();
      const error = await store.put(badName, value, { requestToken: newToken() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(dump(error)).not.toContain(value.reveal());
      await expect(store.get(badName)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.promote(badName, randomUUID())).rejects.toBeInstanceOf(ValidationError);
      await expect(store.delete(badName)).rejects.toBeInstanceOf(ValidationError);
    });

    it('rejects request tokens outside 32..64 characters and oversized values, without quoting the value', async () => {
      const secretName = newName();
      const value = newValue();
      await expect(store.put(secretName, value, { requestToken: 'short' })).rejects.toBeInstanceOf(ValidationError);

      const huge = new SecretValue(`${value.reveal()}${'x'.repeat(65_536)}`);
      const error = await store.put(secretName, huge, { requestToken: newToken() }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect(dump(error)).not.toContain(value.reveal());
      expect(await store.get(secretName)).toBeNull();
    });
  });
}

/** Everything an error could show in a log: message, stack, own properties, nested causes. */
function dump(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`;
}
