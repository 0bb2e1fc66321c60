import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../../platform/audit/audited.decorator';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { Page, PageQuery } from '../../platform/http/pagination';
import { PreparesOutsideTransaction } from '../../platform/request-transaction/prepares-outside-transaction.decorator';
import { CreateWebhookEndpointDto, ListDeliveriesQuery, RotateWebhookSecretDto, UpdateWebhookEndpointDto } from './dto/webhook-endpoint.dto';
import {
  CreatedWebhookEndpointView,
  RotatedSecretView,
  WebhookEndpointPageView,
  WebhookEndpointView,
  WebhookMessagePageView,
  WebhookMessageView,
} from './webhook-endpoint.presenter';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { NoInput } from '../../platform/http/no-input.decorator';

@ApiTags('webhooks')
@ApiNotFoundResponse({ description: 'No such endpoint in your organization.' })
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @Scopes('webhooks:write')
  // The URL is resolved in DNS (up to 5 s) before any connection is taken.
  @PreparesOutsideTransaction()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Register an endpoint; the signing secret is in this response only.' })
  @ApiCreatedResponse({ type: CreatedWebhookEndpointView })
  @ApiBadRequestResponse({ description: 'Invalid or refused URL (scheme, private/loopback/metadata address), unknown event type.' })
  async create(
    @Principal() principal: AuthPrincipal,
    @Body() dto: CreateWebhookEndpointDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedWebhookEndpointView> {
    const created = await this.endpoints.create(principal.orgId, dto);
    res.location(`/v1/webhook-endpoints/${created.id}`);
    return created;
  }

  @Get()
  @Scopes('webhooks:read')
  @ApiOperation({ summary: 'List endpoints, newest first.' })
  @ApiOkResponse({ type: WebhookEndpointPageView })
  list(@Principal() principal: AuthPrincipal, @Query() query: PageQuery): Promise<Page<WebhookEndpointView>> {
    return this.endpoints.list(principal.orgId, query.limit, query.cursor);
  }

  @Get(':id')
  @Scopes('webhooks:read')
  @ApiOperation({ summary: 'One webhook endpoint (never its secret).' })
  @ApiOkResponse({ type: WebhookEndpointView })
  get(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(principal.orgId, id);
  }

  @Patch(':id')
  @Scopes('webhooks:write')
  @PreparesOutsideTransaction()
  @ApiOperation({ summary: 'Change url, events, description or enabled.' })
  @ApiOkResponse({ type: WebhookEndpointView })
  update(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Body() dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    return this.endpoints.update(principal.orgId, id, dto);
  }

  @Delete(':id')
  @Scopes('webhooks:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its delivery log.' })
  @ApiNoContentResponse({ description: 'Deleted with its delivery log; nothing more is sent to it.' })
  delete(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<void> {
    return this.endpoints.delete(principal.orgId, id);
  }

  @Post(':id/rotate-secret')
  @Scopes('webhooks:write')
  @Audited({ action: 'webhook_endpoint.rotate_secret', resourceType: 'webhook_endpoint' })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New signing secret; deliveries carry both signatures during the grace period.' })
  @ApiCreatedResponse({ type: RotatedSecretView })
  rotateSecret(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Body() dto: RotateWebhookSecretDto): Promise<RotatedSecretView> {
    return this.endpoints.rotateSecret(principal.orgId, id, dto.gracePeriodSeconds);
  }

  @Post(':id/test')
  @Scopes('webhooks:write')
  @Audited({ action: 'webhook_endpoint.test', resourceType: 'webhook_endpoint' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a webhook.test event to this endpoint only.' })
  @ApiAcceptedResponse({ description: '{ eventId }: the event is delivered asynchronously; see /deliveries.' })
  @ApiConflictResponse({ description: 'The endpoint is disabled.' })
  sendTest(@Principal() principal: AuthPrincipal, @Param('id') id: string, @NoInput() _input: void): Promise<{ eventId: string }> {
    return this.endpoints.sendTest(principal.orgId, id);
  }

  @Get(':id/deliveries')
  @Scopes('webhooks:read')
  @ApiOperation({ summary: 'Messages sent (or to be sent) to this endpoint, newest first, each with its attempts.' })
  @ApiOkResponse({ type: WebhookMessagePageView })
  deliveries(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Query() query: ListDeliveriesQuery): Promise<Page<WebhookMessageView>> {
    return this.endpoints.listDeliveries(principal.orgId, id, query);
  }
}
