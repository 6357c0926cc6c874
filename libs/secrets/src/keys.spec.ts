import { inspect } from 'node:util';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { SecretValue } from '#domain';
import { generateSigningKey, importSigningKey, toJwks, type SigningAlgorithm } from './keys.js';

describe('signing keys for private_key_jwt', () => {
  it.each<SigningAlgorithm>(['ES384', 'RS384'])(
    'signs a client assertion with a %s private key that verifies against the public JWKS',
    async (alg) => {
      const generated = await generateSigningKey(alg);
      const signing = await importSigningKey(generated.privateJwk);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: 'JWT' })
        .setIssuer('client-1')
        .setSubject('client-1')
        .setAudience('https://ehr.example/token')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('jti-1')
        .sign(signing.key);

      const { payload, protectedHeader } = await jwtVerify(
        assertion,
        createLocalJWKSet(toJwks([generated.publicJwk])),
        {
          issuer: 'client-1',
          audience: 'https://ehr.example/token',
          algorithms: [alg],
        },
      );

      expect(payload.sub).toBe('client-1');
      expect(protectedHeader.kid).toBe(generated.kid);
    },
  );

  it('uses the RFC 7638 thumbprint of the public key as kid and marks the key for signatures', async () => {
    const { kid, publicJwk, alg } = await generateSigningKey();

    expect(alg).toBe('ES384');
    expect(kid).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-384', kid, alg: 'ES384', use: 'sig' });
    expect(Object.keys(publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('makes RS384 keys of the requested size and refuses less than 2048 bits', async () => {
    const { publicJwk } = await generateSigningKey('RS384', { modulusLength: 3072 });
    expect(Buffer.from(publicJwk.n ?? '', 'base64url').length * 8).toBe(3072);
    await expect(generateSigningKey('RS384', { modulusLength: 1024 })).rejects.toThrow(/2048/);
  });

  it('keeps the private key redacted and out of the JWKS', async () => {
    const generated = await generateSigningKey('RS384');
    const privateMembers = JSON.parse(generated.privateJwk.reveal()) as Record<string, string>;

    expect(privateMembers).toMatchObject({ kid: generated.kid, alg: 'RS384', use: 'sig' });
    expect(JSON.stringify(generated)).not.toContain(privateMembers.d);
    expect(inspect(generated, { depth: 10 })).not.toContain(privateMembers.d);
    // Even a private JWK handed to toJwks by mistake comes out public.
    const jwks = toJwks([{ ...generated.publicJwk, ...privateMembers } as never]);
    expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('refuses a stored key that is not a private JWK without quoting it', async () => {
    const garbage = new SecretValue('not-json-but-secret-1234');
    const error = await importSigningKey(garbage).catch((e: unknown) => e);
    expect(String(error)).not.toContain('secret-1234');

    const { publicJwk } = await generateSigningKey();
    await expect(importSigningKey(new SecretValue(JSON.stringify(publicJwk)))).rejects.toThrow(/private/);
  });

  it('gives two keys two different kids', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.kid).not.toBe(b.kid);
  });
});
