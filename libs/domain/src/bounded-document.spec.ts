import fc from 'fast-check';
import { boundDocument, DEFAULT_DOCUMENT_BOUNDS } from './bounded-document.js';

/** `[[[...[]...]]]` nested `depth` times, built without recursion. */
function deepArray(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 1; level < depth; level += 1) value = [value];
  return value;
}

function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

const answer = {
  client_id: 'abc',
  client_secret: 's3cret',
  redirect_uris: ['https://app.example/cb'],
  grant_types: ['authorization_code'],
  registration_access_token: 'rat',
  registration_client_uri: 'https://ehr.example/register/abc',
};

describe('boundDocument', () => {
  it('keeps an ordinary registration answer as it came, with no note', () => {
    const { document, notes } = boundDocument({ ...answer, extension: { a: [1, 2, { b: 'c' }] } });
    expect(document).toEqual({ ...answer, extension: { a: [1, 2, { b: 'c' }] } });
    expect(notes).toEqual([]);
  });

  it('cuts a member nested 200,000 arrays deep without overflowing the stack, and says so', () => {
    const { document, notes } = boundDocument({ ...answer, hostile: deepArray(200_000) });
    expect(document).toMatchObject(answer);
    expect(depthOf(document.hostile)).toBeLessThanOrEqual(DEFAULT_DOCUMENT_BOUNDS.maxDepth);
    expect(() => JSON.stringify(document)).not.toThrow();
    expect(notes.join('\n')).toMatch(/hostile: values nested deeper than 8 levels dropped/);
  });

  it('keeps the RFC 7591/7592 members when extensions would exceed the size budget', () => {
    const bounds = { ...DEFAULT_DOCUMENT_BOUNDS, maxBytes: 2_000, maxStringLength: 1_500 };
    const { document, notes } = boundDocument(
      { padding1: 'x'.repeat(1_400), padding2: 'y'.repeat(1_400), ...answer },
      bounds,
    );
    expect(document).toMatchObject(answer);
    expect(Object.keys(document)).not.toEqual(expect.arrayContaining(['padding1', 'padding2']));
    expect(notes.some((text) => /padding2: dropped/.test(text))).toBe(true);
  });

  it('bounds members, strings and non-objects', () => {
    const bounds = { ...DEFAULT_DOCUMENT_BOUNDS, maxMembers: 3, maxStringLength: 5 };
    const { document, notes } = boundDocument({ list: [1, 2, 3, 4, 5], name: 'abcdefgh' }, bounds);
    expect(document).toEqual({ list: [1, 2, 3], name: 'abcde' });
    expect(notes).toHaveLength(2);
    expect(boundDocument([1, 2]).document).toEqual({});
    expect(boundDocument('text').notes).toEqual(['the document is not a JSON object: nothing kept']);
  });

  it('always gives a document within the bounds that JSON can write, whatever came in', () => {
    const bounds = { maxDepth: 4, maxMembers: 5, maxStringLength: 20, maxBytes: 600 };
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 8 })), (input) => {
        const { document, notes } = boundDocument(input, bounds);
        const text = JSON.stringify(document);
        expect(text.length).toBeLessThanOrEqual(bounds.maxBytes + 50);
        for (const value of Object.values(document)) expect(depthOf(value)).toBeLessThanOrEqual(bounds.maxDepth);
        if (!notes.length) expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(input)));
      }),
      { numRuns: 300 },
    );
  });
});
