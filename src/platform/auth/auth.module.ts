import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../../config/app-config';
import { ApiKeyAuthenticator } from '../../modules/api-keys/api-key-authenticator';
import { ApiKeysModule } from '../../modules/api-keys/api-keys.module';
import { createApiKeyStrategy } from './api-key.strategy';
import { AuthGuard } from './auth.guard';
import { createJwtStrategy } from './jwt.strategy';
import { PassportNames } from './passport-names';
import { BodyShapeGuard } from '../http/json-shape';
import { ScopesGuard } from './scopes.guard';
import { RequestNoncePurge, RequestNonceStore } from './signatures/request-nonce-store';
import { RequestSignatureGuard } from './signatures/request-signature.guard';
import { RequestSignatureVerifier } from './signatures/request-signature.verifier';
import { TokenSigner } from './token-signer';

/**
 * Authentication for every route: the global AuthGuard, then
 * RequestSignatureGuard (signed requests, API.md §1b), then ScopesGuard
 * (APP_GUARDs run in the order they are provided; ThrottlingModule's guard,
 * imported after this module, runs after all three).
 */
@Global()
@Module({
  imports: [PassportModule, ApiKeysModule],
  providers: [
    TokenSigner,
    PassportNames,
    RequestNonceStore,
    RequestNoncePurge,
    RequestSignatureVerifier,
    {
      provide: 'ApiKeyStrategy',
      inject: [PassportNames, ApiKeyAuthenticator],
      useFactory: (names: PassportNames, authenticator: ApiKeyAuthenticator) => createApiKeyStrategy(names.apiKey, authenticator),
    },
    {
      provide: 'JwtStrategy',
      inject: [PassportNames, AppConfig, TokenSigner, ApiKeyAuthenticator],
      useFactory: (names: PassportNames, config: AppConfig, signer: TokenSigner, authenticator: ApiKeyAuthenticator) =>
        createJwtStrategy(names.jwt, config, signer, authenticator),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RequestSignatureGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
    // Hostile body shapes (deep nesting, NUL, __proto__) are refused before
    // any pipe or handler, once the caller is known so the refusal is theirs.
    { provide: APP_GUARD, useClass: BodyShapeGuard },
  ],
  exports: [TokenSigner, RequestSignatureVerifier],
})
export class AuthModule {}
