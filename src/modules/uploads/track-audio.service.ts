import { Injectable } from '@nestjs/common';
import type { TrackView } from '../releases/release.presenter';
import { TracksService } from '../releases/tracks.service';
import { UploadsService } from './uploads.service';

/**
 * A track's audio (API guide: Releases and their lifecycle `PUT /v1/releases/:id/tracks/:trackId/audio`):
 * only an accepted upload of the same organization that no other track
 * uses, only on a draft. The
 * track change itself (release lock, version bump, `track.updated`) is
 * TracksService.setAudio's; this adds the uploads module's rule, checked in
 * the same transaction.
 */
@Injectable()
export class TrackAudioService {
  constructor(
    private readonly tracks: TracksService,
    private readonly uploads: UploadsService,
  ) {}

  /** Attaches `uploadId` as the track's audio, or with null detaches whatever is attached. */
  setAudio(orgId: string, releaseId: string, trackId: string, uploadId: string | null): Promise<TrackView> {
    if (uploadId === null) return this.tracks.setAudio(orgId, releaseId, trackId, null);
    return this.tracks.setAudio(orgId, releaseId, trackId, uploadId, {
      // 404, 422 or 409 for an upload that cannot be attached; locks it until
      // commit, so it can be neither deleted nor attached elsewhere meanwhile.
      beforeChange: () => this.uploads.assertAttachable(orgId, uploadId, trackId),
    });
  }
}
