import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/domain-errors';
import { IDEMPOTENT_METHODS, MUTATING_METHODS } from '../http/http-methods';

const MUTATING = [...MUTATING_METHODS].map((m) => m.toLowerCase() as 'post' | 'put' | 'patch' | 'delete');

/** OpenAPI 3 generated from the controllers and DTOs, served at /openapi.json and /docs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('musicpub API')
    .setDescription(
      'Music publishing: releases and tracks, audio uploads, scoped API keys, signed webhooks. ' +
        'Errors are RFC 9457 application/problem+json. Every authenticated POST and PATCH accepts an Idempotency-Key.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .build();
  return describeCrossCuttingBehaviour(SwaggerModule.createDocument(app, config));
}

/**
 * What every route shares but no controller declares: the Idempotency-Key
 * header on authenticated POST/PATCH (API.md §7; public routes have their own
 * deduplication and ignore it), and problem+json error bodies (API.md §0).
 */
function describeCrossCuttingBehaviour(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = {
    type: 'object',
    description: 'RFC 9457 problem details.',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      requestId: { type: 'string' },
      errors: {
        type: 'array',
        items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  };
  document.components.parameters ??= {};
  document.components.parameters.IdempotencyKey = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the first response is stored for 24 h and replayed byte for byte (with Idempotent-Replayed: true) for the same key and request; ' +
      'the same key with a different request is 422, and while the first is still running, 409. 1–255 printable ASCII characters, bare or as an RFC 8941 string.',
    schema: { type: 'string', minLength: 1, maxLength: 257 },
  };
  for (const item of Object.values(document.paths)) {
    for (const method of MUTATING) {
      const operation = item[method];
      if (!operation) continue;
      const authenticated = (operation.security?.length ?? 0) > 0;
      const declared = (operation.parameters ?? []).some((p) => 'name' in p && p.name.toLowerCase() === 'idempotency-key');
      if (authenticated && !declared && IDEMPOTENT_METHODS.has(method.toUpperCase())) {
        operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
      }
      operation.responses ??= {};
      operation.responses.default ??= {
        description: 'An error (RFC 9457 problem details).',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
  }
  return document;
}

export function mountOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'], useGlobalPrefix: false });
}
