import type { z } from 'zod';
import { ValidationError, type FieldProblem } from './errors.js';

/** Turns zod issues into field problems with readable paths such as `redirect_uris[0]`. */
export function toFieldProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldProblem[] {
  return issues.map((issue) => ({ path: pathText(issue.path, prefix), message: issue.message }));
}

function pathText(path: readonly PropertyKey[], prefix = ''): string {
  const text = path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, prefix);
  return text || '(root)';
}

/**
 * Characters no text the broker accepts may contain: C0 controls but tab, line feed and carriage
 * return (U+0000 above all, which PostgreSQL cannot store in text or jsonb), DEL, C1 controls,
 * and lone UTF-16 surrogates (not Unicode text; they cannot be encoded as UTF-8).
 */
const FORBIDDEN_CHARACTER =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Deeper than any document the broker accepts (client metadata nests three levels at most: jwks.keys[0].x5c). */
export const MAX_INPUT_DEPTH = 32;

const MAX_PROBLEMS = 20;

/**
 * Rules every input obeys whatever its schema: no forbidden character in any string or member
 * name, and no nesting deeper than `MAX_INPUT_DEPTH` (a deep document would overflow the stack
 * of whatever walks it next: zod, JSON.stringify, the database driver). Walks with an explicit
 * stack, so hostile nesting cannot overflow this check either.
 */
export function inputShapeProblems(input: unknown, prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: Array<{ value: unknown; path: PropertyKey[] }> = [{ value: input, path: [] }];
  while (pending.length && problems.length < MAX_PROBLEMS) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (FORBIDDEN_CHARACTER.test(value)) {
        problems.push({ path: pathText(path, prefix), message: 'contains a control character or invalid Unicode' });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      problems.push({ path: pathText(path, prefix), message: `nests deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_CHARACTER.test(key)) {
        problems.push({ path: pathText(path, prefix), message: 'has a member name with a control character' });
        continue;
      }
      pending.push({ value: item, path: [...path, key] });
    }
  }
  return problems;
}

/**
 * Parses `input` or throws a ValidationError that lists every problem. The one gate of every
 * input (API bodies, queries and headers, job data): the shape rules of `inputShapeProblems`
 * first, then the schema.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix = ''): z.output<S> {
  const shapeProblems = inputShapeProblems(input, prefix);
  if (shapeProblems.length) throw new ValidationError(`${what} is invalid`, shapeProblems);
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(`${what} is invalid`, toFieldProblems(result.error.issues, prefix));
  }
  return result.data;
}
