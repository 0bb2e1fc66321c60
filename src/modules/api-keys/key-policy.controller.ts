import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { KeyPolicyDto, KeyPolicyView } from './dto/key-policy.dto';
import { KeyPolicyService } from './key-policy.service';

@ApiTags('api-keys')
@Controller('v1/key-policy')
export class KeyPolicyController {
  constructor(private readonly policies: KeyPolicyService) {}

  @Get()
  @Scopes('keys:read')
  @ApiOperation({ summary: 'The organization’s key rotation policy.' })
  @ApiOkResponse({ type: KeyPolicyView })
  get(@Principal() principal: AuthPrincipal): Promise<KeyPolicyView> {
    return this.policies.get(principal.orgId);
  }

  @Put()
  @Scopes('keys:write')
  @ApiOperation({ summary: 'Replaces the key rotation policy (omitted fields take their defaults). Applies to keys issued from now on.' })
  @ApiOkResponse({ type: KeyPolicyView })
  put(@Principal() principal: AuthPrincipal, @Body() dto: KeyPolicyDto): Promise<KeyPolicyView> {
    return this.policies.put(principal.orgId, dto);
  }
}
