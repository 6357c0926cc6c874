#!/usr/bin/env node
// `npm run api-client:generate`: builds the API, writes its OpenAPI document from the module
// graph (no server, database or Redis: see apps/api/src/openapi-document.ts) to
// libs/api-client/openapi.json, and generates libs/api-client/src/schema.ts from it with
// openapi-typescript. Commit both; test/api-contract.e2e-spec.ts fails when they and the live
// document disagree.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { prisma } from './db.mjs';

export const DOCUMENT_PATH = 'libs/api-client/openapi.json';
export const SCHEMA_PATH = 'libs/api-client/src/schema.ts';

/** openapi-typescript's command line, the same for the script and the contract test. */
export function generateTypes(documentPath, outputPath) {
  const run = spawnSync(
    process.execPath,
    [
      'node_modules/openapi-typescript/bin/cli.js',
      documentPath,
      '--output',
      outputPath,
      '--root-types',
      '--alphabetize',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`openapi-typescript failed: ${run.stderr || run.stdout}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  prisma(['generate'], process.env);
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const { offlineOpenApiDocument, serialiseOpenApiDocument } = await import(
    pathToFileURL('dist/apps/api/src/openapi-document.js').href
  );
  writeFileSync(DOCUMENT_PATH, serialiseOpenApiDocument(await offlineOpenApiDocument()));
  generateTypes(DOCUMENT_PATH, SCHEMA_PATH);
  console.log(`wrote ${DOCUMENT_PATH} and ${SCHEMA_PATH}`);
}
