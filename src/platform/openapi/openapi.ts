import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { OAUTH_TOKEN_PATH } from '../auth/oauth-error';
import { SCOPE_DESCRIPTIONS } from '../auth/scopes';
import { PROBLEM_CONTENT_TYPE } from '../errors/domain-errors';
import { IDEMPOTENT_METHODS, MUTATING_METHODS } from '../http/http-methods';
import { UNTHROTTLED_EXTENSION } from '../throttling/throttle.decorators';
import { limitsFromValidators } from './validator-limits';

const MUTATING = new Set([...MUTATING_METHODS].map((m) => m.toLowerCase()));
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** OpenAPI 3 generated from the controllers and DTOs, served at /openapi.json and /docs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('musicpub API')
    .setDescription(
      'Music publishing: releases and tracks, audio uploads, scoped API keys, signed webhooks. ' +
        'Errors are RFC 9457 application/problem+json. Every authenticated POST and PATCH accepts an Idempotency-Key. ' +
        'Authenticate with an API key (X-API-Key) or with an access token from the token endpoint (OAuth 2.0 client credentials: ' +
        'client_id is the key id, client_secret the key). Every scope a route needs is listed on its oauth2 requirement and applies to every scheme.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://spdx.org/licenses/MIT.html')
    // Relative: the document is served by the API it describes, so tools resolve it (and the token URL) against where they fetched it.
    .addServer('/', 'The server this document was fetched from')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (mpk_live_…).' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the token endpoint.' }, 'bearer')
    .addOAuth2(
      {
        type: 'oauth2',
        description: 'Client credentials: the API key id as client_id, the key as client_secret; a token carries at most the key’s scopes.',
        flows: { clientCredentials: { tokenUrl: OAUTH_TOKEN_PATH, scopes: { ...SCOPE_DESCRIPTIONS } } },
      },
      'oauth2',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  limitsFromValidators(document);
  return describeCrossCuttingBehaviour(document);
}

const RATE_LIMIT_HEADERS = ['RateLimit-Policy', 'RateLimit', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

/**
 * What every route shares but no controller declares (API guide: Conventions, Idempotency, Rate limits):
 * problem+json error bodies, the 401 of authenticated routes, the RateLimit
 * fields and the 429 of every counted route, the Idempotency-Key header on
 * authenticated POST/PATCH (public routes have their own deduplication and
 * ignore it), and `security: []` on public routes.
 */
function describeCrossCuttingBehaviour(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  const problem = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };
  components.schemas ??= {};
  components.schemas.Problem = {
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
    additionalProperties: true,
  };
  components.headers = {
    ...components.headers,
    'RateLimit-Policy': {
      description: 'Every policy the request counts against (draft-ietf-httpapi-ratelimit-headers): name, q (quota) and w (window, seconds).',
      schema: { type: 'string', example: '"default";q=600;w=60' },
    },
    RateLimit: {
      description: 'Where each policy stands: name, r (requests left) and t (seconds until the window resets).',
      schema: { type: 'string', example: '"default";r=599;t=60' },
    },
    'X-RateLimit-Limit': { description: 'Quota of the policy that binds first.', schema: { type: 'integer' } },
    'X-RateLimit-Remaining': { description: 'Requests left under that policy.', schema: { type: 'integer' } },
    'X-RateLimit-Reset': { description: 'Seconds until that policy’s window resets.', schema: { type: 'integer' } },
    'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } },
    'WWW-Authenticate': { description: 'The challenge (RFC 6750), with error and error_description for a refused credential.', schema: { type: 'string' } },
  };
  const rateLimitHeaders = Object.fromEntries(RATE_LIMIT_HEADERS.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
  components.responses = {
    ...components.responses,
    Unauthorized: {
      description: 'Missing, invalid, expired or revoked credential, or a refused request signature (problem+json, with WWW-Authenticate).',
      headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
      content: problem,
    },
    TooManyRequests: {
      description: 'A rate limit is used up (problem+json `quota-exceeded`): wait Retry-After seconds.',
      headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' }, ...rateLimitHeaders },
      content: problem,
    },
  };
  components.parameters ??= {};
  components.parameters.IdempotencyKey = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the first response is stored for 24 h and replayed byte for byte (with Idempotent-Replayed: true) for the same key and request; ' +
      'the same key with a different request is 422, and while the first is still running, 409. 1–255 printable ASCII characters, bare or as an RFC 8941 string.',
    schema: { type: 'string', minLength: 1, maxLength: 257 },
  };

  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (operation) describeOperation(operation, method, rateLimitHeaders, problem);
    }
  }
  return document;
}

function describeOperation(
  operation: OperationObject,
  method: string,
  rateLimitHeaders: Record<string, { $ref: string }>,
  problem: ResponseObject['content'],
): void {
  const extensions = operation as unknown as Record<string, unknown>;
  const throttled = extensions[UNTHROTTLED_EXTENSION] !== true;
  delete extensions[UNTHROTTLED_EXTENSION];
  // Every route is authenticated unless @Public() (ScopesGuard refuses a route
  // with neither), and @Scopes() is what declares the security requirement.
  const authenticated = (operation.security?.length ?? 0) > 0;
  if (!authenticated) operation.security = [];
  const responses = operation.responses;

  if (authenticated) {
    responses['401'] = { $ref: '#/components/responses/Unauthorized' };
    const declared = (operation.parameters ?? []).some((p) => 'name' in p && p.name.toLowerCase() === 'idempotency-key');
    if (!declared && IDEMPOTENT_METHODS.has(method.toUpperCase())) {
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
    }
  }
  if (throttled) {
    responses['429'] = { $ref: '#/components/responses/TooManyRequests' };
    for (const [status, response] of Object.entries(responses)) {
      if (/^2/.test(status) && response && !('$ref' in response)) response.headers = { ...rateLimitHeaders, ...response.headers };
    }
  }
  for (const [status, response] of Object.entries(responses)) {
    // A response a controller declared with a body of its own (the token endpoint's OAuth errors) keeps it.
    if (/^[45]/.test(status) && response && !('$ref' in response) && !response.content) response.content = problem;
  }
  if (MUTATING.has(method)) {
    responses.default ??= { description: 'An error (RFC 9457 problem details).', content: problem };
  }
}

/**
 * Serves the document at /openapi.json and /docs. It is built on the first
 * request for it, not at boot: building walks every controller and DTO (about
 * 80 ms of a cold start, for a document most instances are never asked for),
 * and the object stays out of an idle server's heap until then.
 */
export function mountOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json', raw: ['json'], useGlobalPrefix: false });
}
