import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '#config';
import { ApiModule } from './api.module.js';
import { buildOpenApiDocument } from './http/openapi.js';

/**
 * The OpenAPI document without a running broker: Nest's preview mode builds the module graph
 * (controllers, routes, decorators) without instantiating providers, so nothing connects to
 * PostgreSQL, Redis or a secret store. The configuration is a placeholder: nothing in the
 * document depends on it. `npm run api-client:generate` writes this document and the typed
 * client generated from it; the contract test checks both against the live /docs-json.
 */
export async function offlineOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    OPERATOR_TOKEN: 'document-only-placeholder-operator-token',
    LOCAL_SECRETS_KEY: Buffer.alloc(32).toString('base64'),
  });
  const app = await NestFactory.create(ApiModule.forRoot(config), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The document as the committed file holds it (stable key order as generated, 2-space JSON). */
export const serialiseOpenApiDocument = (document: OpenAPIObject) => `${JSON.stringify(document, null, 2)}\n`;
