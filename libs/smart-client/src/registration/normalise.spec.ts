import fc from 'fast-check';
import { canonicalMetadata, normaliseClientDocument } from './normalise.js';
import { diffMetadata } from './diff-metadata.js';

describe('normaliseClientDocument', () => {
  it('unwraps one-element arrays, joins array scopes, reads numeric strings, drops "" / [] / null / {}', () => {
    const { document, extras } = normaliseClientDocument({
      client_id: ['c1'],
      token_endpoint_auth_method: ['client_secret_basic'],
      scope: ['system/*.rs', 'system/Patient.rs'],
      client_secret_expires_at: '0',
      client_id_issued_at: [1700000000],
      redirect_uris: 'https://app.example/cb',
      logo_uri: '',
      contacts: [],
      jwks: {},
      tos_uri: null,
      x_vendor_status: 'active',
      vendor_metadata: { tier: 'standard' },
      empty_extra: '',
    });
    expect(document).toEqual({
      client_id: 'c1',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'system/*.rs system/Patient.rs',
      client_secret_expires_at: 0,
      client_id_issued_at: 1700000000,
      redirect_uris: ['https://app.example/cb'],
    });
    expect(extras).toEqual({ x_vendor_status: 'active', vendor_metadata: { tier: 'standard' } });
  });

  it('keeps shapes it cannot read as sent (validation reports them)', () => {
    expect(normaliseClientDocument({ token_endpoint_auth_method: ['a', 'b'] }).document).toEqual({
      token_endpoint_auth_method: ['a', 'b'],
    });
  });

  it('property: any server shape of a document compares equal to the canonical one (no false drift)', () => {
    const canonical = {
      client_name: 'App',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'system/*.rs system/Patient.rs',
      grant_types: ['client_credentials'],
      contacts: ['ops@example.org'],
    };
    const variants = fc.record({
      arrays: fc.boolean(),
      scopeArray: fc.boolean(),
      empties: fc.subarray(['logo_uri', 'tos_uri', 'redirect_uris', 'post_logout_redirect_uris']),
      extras: fc.dictionary(fc.constantFrom('x_a', 'x_b', 'vendor'), fc.jsonValue()),
      reorder: fc.boolean(),
    });
    fc.assert(
      fc.property(variants, (variant) => {
        const answered: Record<string, unknown> = { ...variant.extras };
        for (const [field, value] of Object.entries(canonical)) {
          if (field === 'scope' && variant.scopeArray) answered.scope = String(value).split(' ');
          else if (typeof value === 'string' && variant.arrays && field !== 'scope') answered[field] = [value];
          else answered[field] = variant.reorder && Array.isArray(value) ? [...value].reverse() : value;
        }
        for (const field of variant.empties) answered[field] = field.endsWith('uris') ? [] : '';
        const { document } = normaliseClientDocument(answered);
        expect(diffMetadata(canonicalMetadata(canonical), document)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('canonicalMetadata', () => {
  it('sends the RFC shape: strings for single-valued members, no empty members, unknown ones as asked', () => {
    expect(
      canonicalMetadata({
        token_endpoint_auth_method: ['private_key_jwt'],
        scope: ' system/*.rs  system/Patient.rs ',
        logo_uri: '',
        contacts: [],
        software_x: 'kept',
      }),
    ).toEqual({
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'system/*.rs system/Patient.rs',
      software_x: 'kept',
    });
  });
});
