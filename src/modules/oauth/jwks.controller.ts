import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../../platform/auth/public.decorator';
import { TokenSigner } from '../../platform/auth/token-signer';

@ApiTags('oauth')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly signer: TokenSigner) {}

  @Get('jwks.json')
  @Public()
  // Public keys: cacheable, briefly, so a rotation shows up within minutes.
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOkResponse({ description: 'JSON Web Key Set with the current and (during rotation) previous token-signing keys.' })
  jwks(): { keys: object[] } {
    return this.signer.jwks();
  }
}
