import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../../config/app-config';
import { CallerIdentifier } from './caller-identifier';
import { CREDENTIAL_AUTHENTICATOR, CredentialAuthenticator } from './credential-authenticator';
import { createJwtStrategy } from './jwt.strategy';
import { PassportNames } from './passport-names';
import { RequestNoncePurge, RequestNonceStore } from './signatures/request-nonce-store';
import { RequestSignatureVerifier } from './signatures/request-signature.verifier';
import { TokenSigner } from './token-signer';

const PROVIDERS = [
  TokenSigner,
  CallerIdentifier,
  PassportNames,
  RequestNonceStore,
  RequestNoncePurge,
  RequestSignatureVerifier,
  {
    provide: 'JwtStrategy',
    inject: [PassportNames, AppConfig, TokenSigner, CREDENTIAL_AUTHENTICATOR],
    useFactory: (names: PassportNames, config: AppConfig, signer: TokenSigner, authenticator: CredentialAuthenticator) =>
      createJwtStrategy(names.jwt, config, signer, authenticator),
  },
];

/**
 * What authentication needs: the passport strategy for bearer tokens, the token signer, request
 * signature verification. The guards that use them are registered, in their
 * order, in src/platform/pipeline/global-guards.ts.
 */
@Global()
@Module({})
export class AuthModule {
  /** `credentials`: the module that provides CREDENTIAL_AUTHENTICATOR. */
  static forRoot(credentials: Type): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule, credentials],
      providers: PROVIDERS,
      exports: [TokenSigner, CallerIdentifier, PassportNames, RequestSignatureVerifier, credentials],
    };
  }
}

