import fc from 'fast-check';
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { MAX_INPUT_DEPTH, inputShapeProblems, parseOrThrow } from './validation.js';

const schema = z.looseObject({ name: z.string(), extra: z.unknown().optional() });

function deep(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe('parseOrThrow input rules', () => {
  it('refuses U+0000 and every other control character in any string, listing where', () => {
    const controls = [...Array(32).keys(), 127, 0x85, 0x9f]
      .filter((code) => ![9, 10, 13].includes(code))
      .map((code) => String.fromCharCode(code));
    for (const control of controls) {
      expect(() => parseOrThrow(schema, { name: `a${control}b` }, 'app')).toThrow(ValidationError);
      const error = (() => {
        try {
          parseOrThrow(schema, { name: 'ok', extra: { list: ['x', `y${control}`] } }, 'app');
        } catch (caught) {
          return caught as ValidationError;
        }
      })();
      expect(error?.problems[0]?.path).toBe('extra.list[1]');
    }
  });

  it('refuses control characters in member names and lone surrogates', () => {
    expect(inputShapeProblems({ name: 'x', extra: { 'a\u0000': 1 } })).toHaveLength(1);
    expect(inputShapeProblems({ name: '\ud800' })).toHaveLength(1);
    expect(inputShapeProblems({ name: 'tab\tnew line\n emoji 😀 é' })).toEqual([]);
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    expect(inputShapeProblems({ extra: deep(MAX_INPUT_DEPTH - 2) })).toEqual([]);
    expect(inputShapeProblems({ extra: deep(MAX_INPUT_DEPTH + 1) })[0]?.message).toMatch(/deeper/);
    expect(() => parseOrThrow(schema, { name: 'x', extra: deep(200_000) }, 'app')).toThrow(ValidationError);
  });

  it('accepts any printable text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const printable = !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text);
        fc.pre(printable);
        expect(parseOrThrow(schema, { name: text }, 'app').name).toBe(text);
      }),
    );
  });
});
