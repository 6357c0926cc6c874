import { z } from 'zod';
import { clientMetadataSchema } from '#domain';

/**
 * What a tenant sends to create or replace an app. `keyManagement: managed` asks the broker
 * to generate and rotate the `private_key_jwt` keys and publish them at a jwks_uri it owns.
 */
export const appInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    clientMetadata: clientMetadataSchema,
    keyManagement: z.enum(['none', 'managed']).default('none'),
    signingAlg: z.enum(['ES384', 'RS384']).optional(),
  })
  .superRefine((input, ctx) => {
    const metadata = input.clientMetadata;
    if (input.keyManagement === 'managed') {
      if (metadata.token_endpoint_auth_method !== 'private_key_jwt') {
        ctx.addIssue({
          code: 'custom',
          path: ['clientMetadata', 'token_endpoint_auth_method'],
          message: 'must be private_key_jwt when keyManagement is managed',
        });
      }
      if (metadata.jwks || metadata.jwks_uri) {
        ctx.addIssue({
          code: 'custom',
          path: ['clientMetadata', 'jwks_uri'],
          message: 'must be omitted when keyManagement is managed: the broker publishes the keys',
        });
      }
    } else {
      if (input.signingAlg) {
        ctx.addIssue({ code: 'custom', path: ['signingAlg'], message: 'only applies when keyManagement is managed' });
      }
      if (metadata.token_endpoint_auth_method === 'private_key_jwt' && !metadata.jwks && !metadata.jwks_uri) {
        ctx.addIssue({
          code: 'custom',
          path: ['clientMetadata', 'jwks_uri'],
          message: 'private_key_jwt needs jwks_uri or jwks (or keyManagement: managed)',
        });
      }
    }
  })
  .transform((input) => ({
    ...input,
    signingAlg: input.keyManagement === 'managed' ? (input.signingAlg ?? ('ES384' as const)) : null,
  }));

export type AppInputData = z.output<typeof appInputSchema>;
