import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';
import { parseOrThrow, type Page, type PageRequest } from '#domain';

const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

/** `?limit=&cursor=` as a validated `PageRequest`. */
export const PageQuery = createParamDecorator((_data: unknown, context: ExecutionContext): PageRequest => {
  const { limit, cursor } = context.switchToHttp().getRequest<Request>().query;
  return parseOrThrow(pageQuerySchema, { limit, cursor }, 'pagination', 'query');
});

/** The list envelope every collection endpoint answers with. */
export interface ListResponse<T> {
  items: T[];
  nextCursor: string | null;
}

export function toListResponse<T, R>(page: Page<T>, map: (item: T) => R): ListResponse<R> {
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}
