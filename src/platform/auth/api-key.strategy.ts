import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { ApiKeyAuthenticator } from '../../modules/api-keys/api-key-authenticator';
import type { AuthPrincipal } from './principal';

export const API_KEY_STRATEGY = 'api-key';

/** `X-API-Key: mpk_…` (API.md §1). */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, API_KEY_STRATEGY) {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {
    super();
  }

  validate(req: Request): Promise<AuthPrincipal> {
    const header = req.headers['x-api-key'];
    return this.authenticator.authenticateKey(Array.isArray(header) ? header.join(',') : (header ?? ''), req.ip ?? '');
  }
}
