import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { actorOf, requestFacts } from '../../platform/audit/audit-draft';
import { Audited } from '../../platform/audit/audited.decorator';
import { AuditEventPageView, AuditEventView } from '../audit-events/audit-event.presenter';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { Page, PageQuery } from '../../platform/http/pagination';
import { ApiKeyPageView, ApiKeyView, CreatedApiKeyView, RevokeAllResultView } from './api-key.presenter';
import { ApiKeysService } from './api-keys.service';
import { ListApiKeysQuery } from './dto/key-policy.dto';
import { CreateApiKeyDto, RevokeAllApiKeysDto, RotateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Scopes('keys:write')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Create an API key with a subset of your scopes; the key is shown once.' })
  @ApiCreatedResponse({ type: CreatedApiKeyView, description: 'The key is in this response only.' })
  async create(@Principal() principal: AuthPrincipal, @Body() dto: CreateApiKeyDto, @Res({ passthrough: true }) res: Response): Promise<CreatedApiKeyView> {
    const created = await this.keys.create(principal, dto);
    res.location(`/v1/api-keys/${created.id}`);
    return created;
  }

  @Get()
  @Scopes('keys:read')
  @ApiOperation({ summary: 'List the organization’s API keys, newest first (never the keys themselves).' })
  @ApiOkResponse({ type: ApiKeyPageView })
  list(@Principal() principal: AuthPrincipal, @Query() query: ListApiKeysQuery): Promise<Page<ApiKeyView>> {
    return this.keys.list(principal, query.limit, query.cursor, query.expiringWithinDays);
  }

  @Post('revoke-all')
  @Scopes('keys:write')
  @HttpCode(200)
  @Audited({ action: 'api_key.revoke_all', resourceType: 'api_key' })
  @ApiOperation({ summary: 'Incident response: revoke every live key of the organization at once (the caller\'s own key only with includeSelf).' })
  @ApiOkResponse({ type: RevokeAllResultView })
  revokeAll(@Principal() principal: AuthPrincipal, @Body() dto: RevokeAllApiKeysDto, @Req() req: Request): Promise<RevokeAllResultView> {
    return this.keys.revokeAll(principal, dto, { ...actorOf(principal), ...requestFacts(req) });
  }

  @Get(':id/activity')
  @Scopes('keys:read', 'audit:read')
  @ApiOperation({ summary: 'What this key did: the audit events it, or a token issued from it, is the actor of (newest first).' })
  @ApiOkResponse({ type: AuditEventPageView })
  activity(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Query() query: PageQuery): Promise<Page<AuditEventView>> {
    return this.keys.activity(principal, id, query.limit, query.cursor);
  }

  @Get(':id')
  @Scopes('keys:read')
  @ApiOperation({ summary: 'One API key’s metadata.' })
  @ApiOkResponse({ type: ApiKeyView })
  get(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.get(principal, id);
  }

  @Post(':id/rotate')
  @Scopes('keys:write')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Rotate a key: a new key now, the old one until the grace period ends.' })
  @ApiCreatedResponse({ type: CreatedApiKeyView, description: 'The new key, shown in this response only. The old key works until the grace period ends.' })
  async rotate(
    @Principal() principal: AuthPrincipal,
    @Param('id') id: string,
    @Body() dto: RotateApiKeyDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedApiKeyView> {
    const created = await this.keys.rotate(principal, id, dto.gracePeriodSeconds);
    res.location(`/v1/api-keys/${created.id}`);
    return created;
  }

  @Delete(':id')
  @Scopes('keys:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key at once.' })
  @ApiNoContentResponse({ description: 'Revoked at once; tokens issued from it stop working within a second.' })
  revoke(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<void> {
    return this.keys.revoke(principal, id);
  }
}
