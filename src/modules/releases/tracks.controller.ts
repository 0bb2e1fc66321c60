import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
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
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { CreateTrackDto } from './dto/create-track.dto';
import { UpdateTrackDto } from './dto/update-track.dto';
import { TrackView } from './release.presenter';
import { TracksService } from './tracks.service';

/** Tracks of a release (API guide: Releases and their lifecycle). Changes need a draft release and bump its version/ETag. */
@ApiTags('releases')
@ApiNotFoundResponse({ description: 'No such release or track in your organization.' })
@Controller('v1/releases/:releaseId/tracks')
export class TracksController {
  constructor(private readonly tracks: TracksService) {}

  @Post()
  @Scopes('releases:write')
  @ApiOperation({ summary: 'Add a track to a draft release; trackNumber defaults to the next free number.' })
  @ApiCreatedResponse({ type: TrackView, description: 'The new track; Location names it.' })
  @ApiBadRequestResponse({ description: 'Field errors (bad ISRC/ISWC, role…), or an unknown property.' })
  @ApiConflictResponse({ description: 'The release is not a draft, the ISRC is used by another track of the organization, or the track number is taken.' })
  async create(
    @Principal() principal: AuthPrincipal,
    @Param('releaseId') releaseId: string,
    @Body() dto: CreateTrackDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TrackView> {
    const track = await this.tracks.create(principal.orgId, releaseId, dto);
    res.location(`/v1/releases/${releaseId}/tracks/${track.id}`);
    return track;
  }

  @Get(':trackId')
  @Scopes('releases:read')
  @ApiOperation({ summary: 'One track.' })
  @ApiOkResponse({ type: TrackView })
  get(@Principal() principal: AuthPrincipal, @Param('releaseId') releaseId: string, @Param('trackId') trackId: string): Promise<TrackView> {
    return this.tracks.get(principal.orgId, releaseId, trackId);
  }

  @Patch(':trackId')
  @Scopes('releases:write')
  @ApiOperation({ summary: 'Change a track of a draft release (partial; contributors, when given, replace the list).' })
  @ApiOkResponse({ type: TrackView })
  @ApiBadRequestResponse({ description: 'Field errors, or an unknown property.' })
  @ApiConflictResponse({ description: 'The release is not a draft, the ISRC is taken, or the track number is taken.' })
  update(
    @Principal() principal: AuthPrincipal,
    @Param('releaseId') releaseId: string,
    @Param('trackId') trackId: string,
    @Body() dto: UpdateTrackDto,
  ): Promise<TrackView> {
    return this.tracks.update(principal.orgId, releaseId, trackId, dto);
  }

  @Delete(':trackId')
  @Scopes('releases:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a track from a draft release (other tracks keep their numbers).' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiConflictResponse({ description: 'The release is not a draft.' })
  async delete(@Principal() principal: AuthPrincipal, @Param('releaseId') releaseId: string, @Param('trackId') trackId: string): Promise<void> {
    await this.tracks.delete(principal.orgId, releaseId, trackId);
  }
}
