import type { z } from 'zod';
import { ValidationError, type FieldProblem } from './errors.js';

/** Turns zod issues into field problems with readable paths such as `redirect_uris[0]`. */
export function toFieldProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldProblem[] {
  return issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, part) => {
      if (typeof part === 'number') return `${acc}[${part}]`;
      return acc ? `${acc}.${String(part)}` : String(part);
    }, prefix);
    return { path: path || '(root)', message: issue.message };
  });
}

/** Parses `input` or throws a ValidationError that lists every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(`${what} is invalid`, toFieldProblems(result.error.issues, prefix));
  }
  return result.data;
}
