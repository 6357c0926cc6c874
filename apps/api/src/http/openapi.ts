import { applyDecorators } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The API's OpenAPI document, built from the same zod schemas that validate requests (in the
 * use cases, so the worker validates with them too) and that type the responses (see
 * `contract/`). Schemas are named components (`#/components/schemas/App`), so the generated
 * client (libs/api-client) gets one type per shape. What every operation shares (problem
 * answers for its authentication, path ids, bodies) is added by `completeOperations`, one
 * rule for all, instead of by hand on each route.
 */

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

interface SchemaMeta {
  id: string;
  description?: string;
}

/** Request bodies, as the API reads them (defaults optional). */
const requestSchemas = z.registry<SchemaMeta>();
/** Response bodies, as the API writes them. */
const responseSchemas = z.registry<SchemaMeta>();

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Names a response schema; nested named schemas become references. */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseSchemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

/** The list envelope every collection endpoint answers with, named `<Item>Page`. */
export function pageOf<T extends z.ZodType>(item: T) {
  const id = responseSchemas.get(item)?.id;
  if (!id) throw new Error('pageOf: name the item schema first');
  return named(
    `${id}Page`,
    z.object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .describe('Pass as `?cursor=` for the next page; null on the last page. Opaque: never build one.'),
    }),
    `One page of ${id} items, newest first.`,
  );
}

export type Example = { summary: string; value: unknown };

/** A JSON request body validated by `schema` (a use case's zod schema), with examples that work when sent. */
export function ApiZodBody(schema: z.ZodType, id: string, examples?: Record<string, Example>): MethodDecorator {
  const existing = requestSchemas.get(schema);
  if (existing && existing.id !== id) throw new Error(`request schema named twice: ${existing.id} and ${id}`);
  if (!existing) requestSchemas.add(schema, { id });
  return ApiBody({ schema: ref(id), required: true, ...(examples ? { examples } : {}) });
}

/** A 2xx answer whose body is `schema` (a named response schema), or no body at all (204). */
export function ApiAnswer(status: number, description: string, schema?: z.ZodType): MethodDecorator {
  if (!schema) return ApiResponse({ status, description });
  const id = responseSchemas.get(schema)?.id;
  if (!id) throw new Error(`ApiAnswer(${status}): the response schema has no name; wrap it in named()`);
  return ApiResponse({ status, description, schema: ref(id) });
}

/** Summary and description of an operation (both required: the contract test refuses a route without). */
export const Doc = (summary: string, description: string) => ApiOperation({ summary, description });

/** `?limit=&cursor=` of a list. */
export const ApiPageQuery = () =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Items per page, 1 to 200.',
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: "The previous page's `nextCursor`.",
      schema: { type: 'string', maxLength: 512 },
    }),
  );

/** A filter of a list: a UUID that names an object of the caller's. */
export const ApiUuidQuery = (name: string, description: string) =>
  ApiQuery({ name, required: false, description, schema: { type: 'string', format: 'uuid' } });

/** Answers the operation may give besides the ones every operation of its kind gets (see `completeOperations`). */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: PROBLEM_TEXT[status] ?? 'Error' })));

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is invalid: `errors` lists each field and what is wrong with it.',
  401: 'No credential, or one that is unknown, revoked or of a disabled tenant.',
  403: 'The API key lacks a scope this operation needs (`requiredScopes`).',
  404: 'Nothing with this id exists for the caller (an object of another tenant or site is not found either).',
  409: 'The object is not in a state that allows this (or the Idempotency-Key was used with another body).',
  413: 'The request body is larger than 256 KB.',
  415: 'The request body is not application/json.',
  422: 'Credentials entered by a site were refused by its token endpoint (`client_not_proven`); nothing was stored.',
  429: 'Too many failed authentication attempts from this address or for this key; see Retry-After.',
  503: 'The secret store is unavailable; retry later.',
};

export const SECURITY_SCHEMES = {
  operator: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The operator token (`OPERATOR_TOKEN` of the broker): `Authorization: Bearer <token>`. Runs the broker: ' +
      'tenants and their keys, the health-system directory, webhook endpoints of every site, audit, possible orphans.',
  },
  tenant: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A tenant API key (`srb_<32 hex>_<43 chars>`, opaque, not a JWT), issued by the operator with scopes: ' +
      '`Authorization: Bearer srb_...`. Sees and changes only its own tenant’s apps, onboardings and registrations.',
  },
  healthSystem: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A health-system administrator key (`srbh_<32 hex>_<43 chars>`, opaque, not a JWT), issued by the operator ' +
      'for one health system: sees what is registered at that site and manages its own webhook endpoints.',
  },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

/** The document the API serves at /docs-json, and the one the typed client is generated from. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('SMART Registration Broker')
    .setDescription(API_DESCRIPTION)
    .setVersion('1');
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) builder = builder.addSecurity(name, { ...scheme });
  const document = SwaggerModule.createDocument(app, builder.build());
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...componentSchemas() },
  };
  completeOperations(document);
  return document;
}

const API_DESCRIPTION = [
  'Registers SMART on FHIR apps as OAuth clients at many health systems (RFC 7591) and manages them (RFC 7592).',
  '',
  'Three principals, each a Bearer credential: the **operator** token, **tenant** API keys and ',
  '**health-system administrator** keys. Lists are paginated with `?limit=&cursor=` (newest first). ',
  'Long actions (onboarding, verify, rotate, delete) answer 202 with the state they moved to and a ',
  '`Location` to follow. Errors are `application/problem+json` (RFC 9457) with a stable `code`.',
].join('\n');

function componentSchemas(): Record<string, SchemaObject> {
  const options = { target: 'draft-2020-12', unrepresentable: 'any', uri: (id: string) => ref(id).$ref } as const;
  const requests = z.toJSONSchema(requestSchemas, { ...options, io: 'input' }).schemas;
  const responses = z.toJSONSchema(responseSchemas, { ...options, io: 'output' }).schemas;
  const clean = (schemas: Record<string, Record<string, unknown>>) =>
    Object.fromEntries(
      Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema] as const),
    );
  return { ...clean(requests), ...clean(responses), Problem: PROBLEM_SCHEMA } as Record<string, SchemaObject>;
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable; `detail` says what happened in words.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', examples: ['https://smart-registration-broker.dev/problems/not_found'] },
    title: { type: 'string', examples: ['Not Found'] },
    status: { type: 'integer', examples: [404] },
    detail: { type: 'string', examples: ['app 0b6f2c9e-4d1a-4a3e-9f57-2d1c8f0a7b11 not found'] },
    instance: {
      type: 'string',
      description: 'The request path.',
      examples: ['/v1/apps/0b6f2c9e-4d1a-4a3e-9f57-2d1c8f0a7b11'],
    },
    code: { type: 'string', examples: ['not_found'] },
    errors: {
      type: 'array',
      description: 'Field problems of a validation failure.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', examples: ['clientMetadata.redirect_uris[0]'] },
          message: { type: 'string' },
        },
      },
    },
    requiredScopes: { type: 'string', description: 'On 403: the scopes the key lacks, space-separated.' },
    retryAfterSeconds: { type: 'integer', description: 'On 429: when to try again.' },
  },
  additionalProperties: true,
};

interface Operation {
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
  parameters?: Array<{ name: string; in: string; description?: string; schema?: Record<string, unknown> }>;
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}

const PATH_PARAMETER_TEXT: Record<string, string> = {
  appId: 'The app’s id.',
  tenantId: 'The tenant’s id.',
  keyId: 'The key’s id.',
  endpointId: 'The webhook endpoint’s id.',
  eventId: 'The webhook event’s id.',
};

/**
 * What follows from an operation's kind, for every operation alike: path ids are UUIDs (anything
 * else is a 404), an authenticated operation may answer 401 and 429, a tenant operation 403, an
 * operation with a body 400 and 415; every 4xx/5xx is problem+json.
 */
function completeOperations(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      const problems = new Set<number>();
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'path') continue;
        parameter.schema = { type: 'string', format: 'uuid' };
        parameter.description ??=
          PATH_PARAMETER_TEXT[parameter.name] ?? `The id of the ${collectionBefore(path, parameter.name)} item.`;
        problems.add(404);
      }
      const schemes = (operation.security ?? []).flatMap((entry) => Object.keys(entry));
      if (schemes.length) problems.add(401).add(429);
      if (schemes.includes('tenant')) problems.add(403);
      if (operation.requestBody) problems.add(400).add(415).add(413);
      if ((operation.parameters ?? []).some((parameter) => parameter.in === 'query')) problems.add(400);
      for (const status of problems) {
        operation.responses[status] ??= { description: PROBLEM_TEXT[status] ?? 'Error' };
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) response.content = { 'application/problem+json': { schema: ref('Problem') } };
      }
    }
  }
}

const collectionBefore = (path: string, parameter: string) => {
  const segments = path.split('/');
  return segments[segments.indexOf(`{${parameter}}`) - 1] ?? 'named';
};
