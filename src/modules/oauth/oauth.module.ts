import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { JwksController } from './jwks.controller';
import { OAuthTokenController } from './oauth-token.controller';

@Module({
  imports: [ApiKeysModule],
  controllers: [OAuthTokenController, JwksController],
})
export class OAuthModule {}
