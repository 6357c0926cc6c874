import fc from 'fast-check';
import {
  softwareStatementClaims,
  UdapMetadataError,
  SOFTWARE_STATEMENT_LIFETIME_SECONDS,
} from './udap-registration.js';

/** IG §3.1 software statement rules hold for any combination of grant types and metadata. */
describe('softwareStatementClaims', () => {
  const options = {
    iss: 'https://apps.example.com/a',
    registrationEndpoint: 'https://as.example.com/register',
    now: 1_800_000_000,
  };

  it('either builds claims that obey IG §3.1 or lists what the app must change', () => {
    fc.assert(
      fc.property(
        fc.subarray(['authorization_code', 'refresh_token', 'client_credentials', 'implicit']),
        fc.option(fc.constantFrom(['https://app.example.com/cb'], ['http://app.example.com/cb'], []), {
          nil: undefined,
        }),
        fc.option(fc.constantFrom('https://app.example.com/logo.png', 'https://app.example.com/logo.svg'), {
          nil: undefined,
        }),
        fc.option(fc.constantFrom(['ops@example.com'], ['https://example.com/contact'], []), { nil: undefined }),
        (grantTypes, redirectUris, logoUri, contacts) => {
          let claims: Record<string, unknown>;
          try {
            claims = softwareStatementClaims(
              {
                client_name: 'A',
                grant_types: grantTypes,
                redirect_uris: redirectUris,
                logo_uri: logoUri,
                contacts,
                scope: 'system/*.rs',
              },
              options,
            );
          } catch (error) {
            expect(error).toBeInstanceOf(UdapMetadataError);
            expect((error as UdapMetadataError).problems.length).toBeGreaterThan(0);
            return;
          }
          const grants = claims.grant_types as string[];
          expect(grants.includes('authorization_code')).not.toBe(grants.includes('client_credentials'));
          if (grants.includes('refresh_token')) expect(grants).toContain('authorization_code');
          if (grants.includes('authorization_code')) {
            expect(claims.response_types).toEqual(['code']);
            expect((claims.redirect_uris as string[]).length).toBeGreaterThan(0);
            expect(claims.logo_uri).toMatch(/^https:.*\.(png|jpe?g|gif)$/i);
          } else {
            expect(claims).not.toHaveProperty('redirect_uris');
            expect(claims).not.toHaveProperty('response_types');
          }
          expect(grants).not.toContain('implicit');
          expect(claims).toMatchObject({
            iss: options.iss,
            sub: options.iss,
            aud: options.registrationEndpoint,
            token_endpoint_auth_method: 'private_key_jwt',
          });
          expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
          expect((claims.contacts as string[]).some((c) => c.startsWith('mailto:'))).toBe(true);
        },
      ),
    );
  });

  it('cancels with an empty grant_types and a fresh jti each time (IG §3.4, §7.1.4)', () => {
    const metadata = {
      client_name: 'A',
      grant_types: ['client_credentials'],
      contacts: ['ops@example.com'],
      scope: 's',
    };
    const a = softwareStatementClaims(metadata, { ...options, cancel: true });
    const b = softwareStatementClaims(metadata, { ...options, cancel: true });
    expect(a.grant_types).toEqual([]);
    expect(a.jti).not.toBe(b.jti);
    expect((a.exp as number) - (a.iat as number)).toBe(SOFTWARE_STATEMENT_LIFETIME_SECONDS);
  });
});
