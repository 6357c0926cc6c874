import { z } from 'zod';

/** Where to register: listed health systems, or every health system in the directory. */
export const onboardingInputSchema = z.union([
  z.strictObject({
    healthSystemIds: z
      .array(z.uuid())
      .min(1)
      .max(10_000)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an id' }),
  }),
  z.strictObject({ allHealthSystems: z.literal(true) }),
]);

/** RFC-style idempotency key: any printable ASCII, bounded. */
export const idempotencyKeySchema = z
  .string({ message: 'the Idempotency-Key header is required' })
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7E]+$/, { message: 'must be printable ASCII without spaces' });
