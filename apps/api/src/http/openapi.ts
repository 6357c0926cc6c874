import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * Request bodies are validated by zod schemas in the use cases (the worker validates with the
 * same schemas), so the OpenAPI document is generated from them rather than from DTO classes.
 */
export function ApiZodBody(schema: z.ZodType): MethodDecorator {
  return ApiBody({ schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as object });
}
