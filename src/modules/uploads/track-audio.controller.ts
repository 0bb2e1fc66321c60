import { Body, Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Audited } from '../../platform/audit/audited.decorator';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import { TrackView } from '../releases/release.presenter';
import { AttachAudioDto } from './dto/attach-audio.dto';
import { TrackAudioService } from './track-audio.service';

/** A track's audio upload (API guide: Releases and their lifecycle). A change of the track, so of its draft release. */
@ApiTags('releases')
@ApiNotFoundResponse({ description: 'No such release, track or upload in your organization.' })
@ApiConflictResponse({ description: 'The release is not a draft, or (PUT) the upload is already the audio of another track (upload-already-attached).' })
@Controller('v1/releases/:releaseId/tracks/:trackId/audio')
export class TrackAudioController {
  constructor(private readonly trackAudio: TrackAudioService) {}

  @Put()
  @Scopes('releases:write')
  @Audited({ action: 'track.attach_audio', resourceType: 'track' })
  @ApiOperation({ summary: "Attach an accepted upload as the track's audio (replacing any attached before)." })
  @ApiOkResponse({ type: TrackView })
  @ApiUnprocessableEntityResponse({ description: 'The upload was rejected by the distribution rules.' })
  attach(
    @Principal() principal: AuthPrincipal,
    @Param('releaseId') releaseId: string,
    @Param('trackId') trackId: string,
    @Body() dto: AttachAudioDto,
  ): Promise<TrackView> {
    return this.trackAudio.setAudio(principal.orgId, releaseId, trackId, dto.uploadId);
  }

  @Delete()
  @Scopes('releases:write')
  @HttpCode(200)
  @Audited({ action: 'track.detach_audio', resourceType: 'track' })
  @ApiOperation({ summary: "Detach the track's audio (the upload stays, and can then be deleted)." })
  @ApiOkResponse({ type: TrackView })
  detach(@Principal() principal: AuthPrincipal, @Param('releaseId') releaseId: string, @Param('trackId') trackId: string): Promise<TrackView> {
    return this.trackAudio.setAudio(principal.orgId, releaseId, trackId, null);
  }
}
