import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope of one secret version. A fresh random 96-bit IV per encryption (NIST
 * SP 800-38D §8.2.2: random IVs are safe for far more versions than a broker will ever write
 * under one key), a 128-bit tag, and associated data that binds the ciphertext to its place:
 * a row copied to another secret name or version id no longer authenticates.
 */
export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Versioned so a future format (or key id) can be told apart from this one. */
const AAD_PREFIX = 'smart-broker/local-secret/v1';

export function assertAesKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new Error('the local secret store needs a 32-byte AES-256 key (LOCAL_SECRETS_KEY, base64)');
  }
}

/** Names never contain NUL (see secret-input.ts), so the joined form is unambiguous. */
function associatedData(secretName: string, versionId: string): Buffer {
  return Buffer.from(`${AAD_PREFIX}\0${secretName}\0${versionId}`, 'utf8');
}

export function seal(key: Buffer, plaintext: string, secretName: string, versionId: string): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(secretName, versionId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext, iv, authTag: cipher.getAuthTag() };
}

/** Returns the plaintext, or null when the data does not authenticate under this key and place. */
export function open(key: Buffer, sealed: SealedSecret, secretName: string, versionId: string): string | null {
  if (sealed.iv.length !== IV_BYTES || sealed.authTag.length !== TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(secretName, versionId));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
