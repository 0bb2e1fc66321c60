import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Scope } from './scopes';

export const REQUIRED_SCOPES = 'musicpub:requiredScopes';

/**
 * The scopes a route needs, all of them. Declared on the handler so a reader
 * sees the route's security where the route is; enforced by ScopesGuard.
 */
export function Scopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    // OpenAPI 3 allows scopes only on oauth2 (and openIdConnect) schemes: the
    // key and a bearer token brought along are listed without them, and the
    // 403 below names the scopes for every scheme.
    ApiSecurity('apiKey'),
    ApiSecurity('bearer'),
    ApiSecurity('oauth2', scopes),
    ApiUnauthorizedResponse({ description: 'Missing or invalid credential (problem+json, WWW-Authenticate).' }),
    ApiForbiddenResponse({ description: `Credential lacks a required scope: ${scopes.join(', ')}.` }),
  );
}
