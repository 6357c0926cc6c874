import { jest } from '@jest/globals';
import { SecretValue } from '#domain';
import { certificateMatchesKey, generateUdapKeyAndCsr } from '#secrets';
import { identityOf, parseCertificate, validateChain, verifyX5cJwt, signX5cJwt, toX5c } from '#smart-client';
import { createAuthority, signCsr } from '../../../../apps/sandbox/src/udap/udap-pki.js';
import { pemOf } from '../../../../apps/sandbox/src/udap/udap-pki.js';

// RSA key generation and several HTTP round trips per test: generous on a loaded 2-core machine.
jest.setTimeout(120_000);

/** The broker's key + CSR, signed by a community CA like the sandbox's, validates as UDAP needs. */
describe('UDAP key material and chains', () => {
  it('chains a CSR-issued certificate to its anchor, certifies the broker key, and signs x5c JWTs', async () => {
    const ca = await createAuthority('Spec CA');
    const other = await createAuthority('Other CA');
    const { privateKeyPem, csrPem } = await generateUdapKeyAndCsr({
      commonName: 'Spec App',
      sanUri: 'https://apps.example.com/spec',
    });
    const leaf = parseCertificate(await signCsr(ca, csrPem));
    const anchor = parseCertificate(pemOf(ca.certificate));
    expect(identityOf(leaf).uriSubjectAltNames).toEqual(['https://apps.example.com/spec']);
    expect(certificateMatchesKey(leaf, privateKeyPem)).toBe(true);
    expect(validateChain([leaf], [anchor])).toHaveLength(2);
    expect(() => validateChain([leaf], [parseCertificate(pemOf(other.certificate))])).toThrow('trust anchor');
    const jwt = await signX5cJwt({ iss: 'x' }, { alg: 'RS256', privateKeyPem, x5c: [toX5c(leaf)] });
    const verified = await verifyX5cJwt(jwt, [anchor]);
    expect(verified.payload.iss).toBe('x');
    const wrongKey = await generateUdapKeyAndCsr({ commonName: 'Other', sanUri: 'https://x.example.com' });
    expect(certificateMatchesKey(leaf, wrongKey.privateKeyPem)).toBe(false);
    expect(new SecretValue('x').toString()).not.toContain('x');
  });
});
