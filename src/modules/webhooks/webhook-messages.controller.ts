import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { NoInput } from '../../platform/http/no-input.decorator';

@ApiTags('webhooks')
@Controller('v1/webhook-messages')
export class WebhookMessagesController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post(':id/redeliver')
  @Scopes('webhooks:write')
  @HttpCode(202)
  @ApiOperation({ summary: 'A new attempt now, with the same webhook-id.' })
  @ApiAcceptedResponse({ description: '{ id, status: "pending" }' })
  @ApiNotFoundResponse({ description: 'No such message in your organization.' })
  @ApiConflictResponse({ description: 'An attempt is in progress, or the endpoint is disabled.' })
  redeliver(@Principal() principal: AuthPrincipal, @Param('id') id: string, @NoInput() _input: void): Promise<{ id: string; status: 'pending' }> {
    return this.endpoints.redeliver(principal.orgId, id);
  }
}
