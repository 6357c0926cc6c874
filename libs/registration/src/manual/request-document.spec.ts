import fc from 'fast-check';
import { metadataChanges, needsClientSecret } from './request-document.js';
import { registrationPathOf } from './registration-path.js';

const metadata = fc.dictionary(
  fc.constantFrom('client_name', 'scope', 'grant_types', 'contacts', 'jwks_uri', 'logo_uri', 'software_version'),
  fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.record({ keys: fc.array(fc.string()) })),
);

describe('metadataChanges (the diff an app change sends a manual site)', () => {
  it('is empty for the same document, whatever its key order', () => {
    fc.assert(
      fc.property(metadata, (document) => {
        const reordered = Object.fromEntries(Object.entries(document).reverse());
        expect(metadataChanges(document, reordered)).toEqual([]);
      }),
    );
  });

  it('turns the old document into the new one when applied, member by member', () => {
    fc.assert(
      fc.property(metadata, metadata, (before, after) => {
        const applied: Record<string, unknown> = { ...before };
        for (const change of metadataChanges(before, after)) {
          if ('to' in change) applied[change.field] = change.to;
          else delete applied[change.field];
        }
        expect(applied).toEqual(after);
      }),
    );
  });
});

describe('registrationPathOf', () => {
  it("follows the operator's mode, else discovery", () => {
    expect(registrationPathOf('manual', true)).toBe('manual');
    expect(registrationPathOf('dynamic', false)).toBe('dynamic');
    expect(registrationPathOf('automatic', false)).toBe('manual');
    expect(registrationPathOf('automatic', true)).toBe('dynamic');
    expect(registrationPathOf('automatic', undefined)).toBeNull();
  });
});

describe('needsClientSecret', () => {
  it('is true for the secret methods (client_secret_basic by default), false for keys and public clients', () => {
    expect(needsClientSecret({})).toBe(true);
    expect(needsClientSecret({ token_endpoint_auth_method: 'client_secret_post' })).toBe(true);
    expect(needsClientSecret({ token_endpoint_auth_method: 'private_key_jwt' })).toBe(false);
    expect(needsClientSecret({ token_endpoint_auth_method: 'none' })).toBe(false);
  });
});
