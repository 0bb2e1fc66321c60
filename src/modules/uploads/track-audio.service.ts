import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { PrismaService } from '../../platform/database/prisma.service';
import { NotFound } from '../../platform/http/problem-details';
import { looksLikeId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { presentTrack, TrackView } from '../releases/release.presenter';
import { assertDraft, ReleasesService } from '../releases/releases.service';
import { TrackAudioRepository } from './track-audio.repository';
import { UploadsService } from './uploads.service';

/**
 * A track's audio (API.md §3 `PUT /v1/releases/:id/tracks/:trackId/audio`):
 * only an accepted upload of the same organization, only on a draft. Like
 * every track change it takes the release's lock, bumps the release's version
 * and records `track.updated`, all in one transaction.
 *
 * Interim: setting the column is a track change and belongs in the releases
 * module (TracksService.setAudio); until it exists, this service does it
 * through ReleasesService's public lockForChange/write and TrackAudioRepository.
 */
@Injectable()
export class TrackAudioService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly releases: ReleasesService,
    private readonly uploads: UploadsService,
    private readonly tracks: TrackAudioRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Attaches `uploadId` as the track's audio, or with null detaches whatever is attached. */
  setAudio(orgId: string, releaseId: string, trackId: string, uploadId: string | null): Promise<TrackView> {
    return this.prisma.transaction(async (tx) => {
      const release = await this.releases.lockForChange(tx, orgId, releaseId);
      const current = looksLikeId('trk', trackId) ? await this.tracks.findTrack(tx, orgId, releaseId, trackId) : null;
      if (!current) throw new NotFound('track');
      // Locks the upload (FOR SHARE) until commit, so it cannot be deleted meanwhile.
      if (uploadId !== null) await this.uploads.assertAttachable(orgId, uploadId);
      assertDraft(release);
      // Same audio again: nothing changes, so no new version and no event.
      if (current.audioUploadId === uploadId) return presentTrack(current);
      const row = await this.tracks.setAudio(tx, orgId, releaseId, trackId, uploadId);
      if (!row) throw new NotFound('track');
      await this.releases.write(tx, release);
      const view = presentTrack(row);
      await this.outbox.record(tx, orgId, 'track.updated', { releaseId, track: view as unknown as Prisma.InputJsonObject });
      return view;
    });
  }
}
