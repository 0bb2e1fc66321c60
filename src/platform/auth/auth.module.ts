import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../../modules/api-keys/api-keys.module';
import { ApiKeyStrategy } from './api-key.strategy';
import { AuthGuard } from './auth.guard';
import { JwtStrategy } from './jwt.strategy';
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
    ApiKeyStrategy,
    JwtStrategy,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
  exports: [TokenSigner],
})
export class AuthModule {}
