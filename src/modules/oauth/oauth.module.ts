import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { JwksController } from './jwks.controller';
import { OAuthTokenController } from './oauth-token.controller';
import { OAuthTokenService } from './oauth-token.service';

/** The token endpoint (client credentials) and the JWKS that verifies its tokens. */
@Module({
  imports: [ApiKeysModule],
  controllers: [OAuthTokenController, JwksController],
  providers: [OAuthTokenService],
})
export class OAuthModule {}
