import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponseOptions,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import type { IfMatchCondition } from '../../platform/http/entity-tag';
import { ApiIfMatch, IfMatch } from '../../platform/http/if-match.decorator';
import type { Page } from '../../platform/http/pagination';
import { ChangeStatusDto } from './dto/change-status.dto';
import { CreateReleaseDto } from './dto/create-release.dto';
import { ListReleasesQuery } from './dto/list-releases.query';
import { UpdateReleaseDto } from './dto/update-release.dto';
import { releaseEtag, ReleaseListItemView, ReleasePageView, ReleaseView } from './release.presenter';
import { ReleasesService } from './releases.service';
import { NoInput } from '../../platform/http/no-input.decorator';

const WITH_ETAG: ApiResponseOptions = {
  type: ReleaseView,
  headers: { ETag: { description: 'Strong validator from the version, e.g. "v3"; send it back in If-Match.', schema: { type: 'string' } } },
};

@ApiTags('releases')
@ApiNotFoundResponse({ description: 'No such release in your organization.' })
@Controller('v1/releases')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Post()
  @Scopes('releases:write')
  @ApiOperation({ summary: 'Create a draft release.' })
  @ApiCreatedResponse({ ...WITH_ETAG, description: 'The new draft; Location names it.' })
  @ApiBadRequestResponse({ description: 'Field errors (problem+json with errors[]), or an unknown property.' })
  @ApiConflictResponse({ description: 'Another release of the organization has this UPC/EAN (a UPC-A and its EAN-13 with a leading 0 are one code).' })
  @ApiUnprocessableEntityResponse({ description: 'originalReleaseDate is after releaseDate.' })
  async create(@Principal() principal: AuthPrincipal, @Body() dto: CreateReleaseDto, @Res({ passthrough: true }) res: Response): Promise<ReleaseView> {
    const release = await this.releases.create(principal.orgId, dto);
    res.location(`/v1/releases/${release.id}`);
    return withEtag(res, release);
  }

  @Get()
  @Scopes('releases:read')
  @ApiOperation({ summary: 'List releases, newest first (keyset pagination).' })
  @ApiOkResponse({ type: ReleasePageView })
  list(@Principal() principal: AuthPrincipal, @Query() query: ListReleasesQuery): Promise<Page<ReleaseListItemView>> {
    return this.releases.list(principal.orgId, query);
  }

  @Get(':id')
  @Scopes('releases:read')
  @ApiOperation({ summary: 'A release with its tracks, ordered by trackNumber.' })
  @ApiOkResponse(WITH_ETAG)
  async get(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<ReleaseView> {
    return withEtag(res, await this.releases.get(principal.orgId, id));
  }

  @Patch(':id')
  @Scopes('releases:write')
  @ApiOperation({ summary: 'Change a draft release (partial; null clears an optional field).' })
  @ApiIfMatch()
  @ApiOkResponse(WITH_ETAG)
  @ApiBadRequestResponse({ description: 'Field errors, or an unknown property.' })
  @ApiConflictResponse({ description: 'The release is not a draft, or another release of the organization has this UPC/EAN.' })
  @ApiUnprocessableEntityResponse({ description: 'originalReleaseDate would be after releaseDate.' })
  async update(
    @Principal() principal: AuthPrincipal,
    @Param('id') id: string,
    @Body() dto: UpdateReleaseDto,
    @IfMatch() ifMatch: IfMatchCondition | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReleaseView> {
    return withEtag(res, await this.releases.update(principal.orgId, id, dto, ifMatch));
  }

  @Delete(':id')
  @Scopes('releases:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a draft release and its tracks.' })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiConflictResponse({ description: 'The release is not a draft; the problem detail says what its status allows instead.' })
  async delete(@Principal() principal: AuthPrincipal, @Param('id') id: string, @IfMatch() ifMatch: IfMatchCondition | undefined): Promise<void> {
    await this.releases.delete(principal.orgId, id, ifMatch);
  }

  @Post(':id/submit')
  @Scopes('releases:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Submit a draft for review (draft → submitted) once it is complete.' })
  @ApiIfMatch()
  @ApiOkResponse(WITH_ETAG)
  @ApiConflictResponse({ description: 'The release is not a draft.' })
  @ApiUnprocessableEntityResponse({ description: 'Incomplete: errors[] lists every missing item (upc, releaseDate, tracks, each track’s ISRC and audio).' })
  async submit(
    @Principal() principal: AuthPrincipal,
    @Param('id') id: string,
    @IfMatch() ifMatch: IfMatchCondition | undefined,
    @Res({ passthrough: true }) res: Response,
    @NoInput() _input: void,
  ): Promise<ReleaseView> {
    return withEtag(res, await this.releases.submit(principal.orgId, id, ifMatch));
  }

  @Post(':id/status')
  @Scopes('releases:publish')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Back-office transition: submitted → approved|rejected, approved → live, approved|live → taken_down, rejected → draft.',
  })
  @ApiIfMatch()
  @ApiOkResponse(WITH_ETAG)
  @ApiConflictResponse({ description: 'The lifecycle does not allow this transition from the current status.' })
  async changeStatus(
    @Principal() principal: AuthPrincipal,
    @Param('id') id: string,
    @Body() dto: ChangeStatusDto,
    @IfMatch() ifMatch: IfMatchCondition | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReleaseView> {
    return withEtag(res, await this.releases.changeStatus(principal.orgId, id, dto, ifMatch));
  }
}

function withEtag(res: Response, release: ReleaseView): ReleaseView {
  res.setHeader('ETag', releaseEtag(release.version));
  return release;
}
