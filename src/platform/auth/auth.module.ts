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
import { ScopesGuard } from './scopes.guard';
import { TokenSigner } from './token-signer';

/**
 * Authentication for every route: the global AuthGuard, then ScopesGuard
 * (APP_GUARDs run in the order they are provided).
 */
@Global()
@Module({
  imports: [PassportModule, ApiKeysModule],
  providers: [
    TokenSigner,
    PassportNames,
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
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
  exports: [TokenSigner],
})
export class AuthModule {}
