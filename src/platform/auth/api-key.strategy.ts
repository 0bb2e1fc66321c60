import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import type { CredentialAuthenticator } from './credential-authenticator';
import type { AuthPrincipal } from './principal';

/** `X-API-Key: mpk_…` (API.md §1), registered with passport under `name` (see PassportNames). */
export function createApiKeyStrategy(name: string, authenticator: CredentialAuthenticator): object {
  class ApiKeyStrategy extends PassportStrategy(Strategy, name) {
    validate(req: Request): Promise<AuthPrincipal> {
      const header = req.headers['x-api-key'];
      return authenticator.authenticateKey(Array.isArray(header) ? header.join(',') : (header ?? ''), req.ip ?? '');
    }
  }
  return new ApiKeyStrategy();
}
