import { Injectable } from '@nestjs/common';
import { classifyDatabaseError, violatedIndex } from '../../platform/database/database-errors';
import { Db } from '../../platform/database/db';
import { Conflict, NotFound } from '../../platform/errors/domain-errors';
import { looksLikeId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { TRACK_LIMITS, type CreateTrackDto } from './dto/create-track.dto';
import type { UpdateTrackDto } from './dto/update-track.dto';
import { contributorFields, trackChanges } from './release-fields';
import { presentTrack, TrackRow, TrackView } from './release.presenter';
import { asJson, assertDraft, ReleasesService } from './releases.service';
import { TracksRepository } from './tracks.repository';

export interface SetAudioOptions {
  /**
   * Runs inside the transaction, after the track is found (404) and before
   * the draft check (409): the uploads module checks the upload there and
   * locks it FOR SHARE until commit, so it cannot be deleted while attached.
   */
  beforeChange?: () => Promise<unknown>;
}

/**
 * Track rules. A track change is a change of its release: it takes the
 * release's row lock (so track numbers are assigned without races), is
 * allowed only on a draft, and bumps the release's version and ETag.
 */
@Injectable()
export class TracksService {
  constructor(
    private readonly db: Db,
    private readonly releases: ReleasesService,
    private readonly tracks: TracksRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async get(orgId: string, releaseId: string, trackId: string): Promise<TrackView> {
    return presentTrack(await this.find(orgId, releaseId, trackId));
  }

  create(orgId: string, releaseId: string, dto: CreateTrackDto): Promise<TrackView> {
    const fields = trackChanges(dto);
    return this.inTransaction(async () => {
      const release = await this.releases.lockForChange(orgId, releaseId, { draftOnly: true });
      if (fields.isrc) await this.assertIsrcFree(orgId, fields.isrc);
      let trackNumber = fields.trackNumber;
      if (trackNumber === undefined) {
        trackNumber = await this.tracks.nextTrackNumber(orgId, releaseId);
        if (trackNumber > TRACK_LIMITS.trackNumber) {
          throw new Conflict(`The release already uses track number ${TRACK_LIMITS.trackNumber}; pass a free trackNumber.`);
        }
      } else {
        await this.assertTrackNumberFree(orgId, releaseId, trackNumber);
      }
      const row = await this.tracks.create(orgId, releaseId, { ...fields, title: dto.title, trackNumber }, contributorFields(dto) ?? []);
      await this.releases.write(release);
      return this.recorded(orgId, 'track.created', row);
    });
  }

  update(orgId: string, releaseId: string, trackId: string, dto: UpdateTrackDto): Promise<TrackView> {
    const fields = trackChanges(dto);
    const contributors = contributorFields(dto);
    return this.inTransaction(async () => {
      const release = await this.releases.lockForChange(orgId, releaseId);
      const current = await this.find(orgId, releaseId, trackId);
      assertDraft(release);
      if (Object.keys(fields).length === 0 && !contributors) return presentTrack(current);
      if (fields.isrc && fields.isrc !== current.isrc) await this.assertIsrcFree(orgId, fields.isrc, trackId);
      if (fields.trackNumber !== undefined && fields.trackNumber !== current.trackNumber) {
        await this.assertTrackNumberFree(orgId, releaseId, fields.trackNumber, trackId);
      }
      const row = await this.tracks.update(orgId, releaseId, trackId, fields, contributors);
      if (!row) throw new NotFound('track');
      await this.releases.write(release);
      return this.recorded(orgId, 'track.updated', row);
    });
  }

  /**
   * Sets the track's audio upload, or with null detaches it. Whether the
   * upload may be attached is the uploads module's rule: it checks (and
   * locks) it in `options.beforeChange`. Setting the audio it already has
   * changes nothing: no new version, no event.
   */
  setAudio(orgId: string, releaseId: string, trackId: string, audioUploadId: string | null, options: SetAudioOptions = {}): Promise<TrackView> {
    return this.db.withTransaction(async () => {
      const release = await this.releases.lockForChange(orgId, releaseId);
      const current = await this.find(orgId, releaseId, trackId);
      await options.beforeChange?.();
      assertDraft(release);
      if (current.audioUploadId === audioUploadId) return presentTrack(current);
      const row = await this.tracks.setAudio(orgId, releaseId, trackId, audioUploadId);
      if (!row) throw new NotFound('track');
      await this.releases.write(release);
      return this.recorded(orgId, 'track.updated', row);
    });
  }

  async delete(orgId: string, releaseId: string, trackId: string): Promise<void> {
    await this.inTransaction(async () => {
      const release = await this.releases.lockForChange(orgId, releaseId);
      const current = await this.find(orgId, releaseId, trackId);
      assertDraft(release);
      await this.tracks.delete(orgId, releaseId, trackId);
      await this.releases.write(release);
      return this.recorded(orgId, 'track.deleted', current);
    });
  }

  private async find(orgId: string, releaseId: string, trackId: string): Promise<TrackRow> {
    const row =
      looksLikeId('rel', releaseId) && looksLikeId('trk', trackId) ? await this.tracks.findOneForOrg(orgId, releaseId, trackId) : null;
    if (!row) throw new NotFound('track');
    return row;
  }

  private async recorded(orgId: string, type: 'track.created' | 'track.updated' | 'track.deleted', row: TrackRow): Promise<TrackView> {
    const view = presentTrack(row);
    await this.outbox.record(orgId, type, { releaseId: row.releaseId, track: asJson(view) });
    return view;
  }

  private async assertIsrcFree(orgId: string, isrc: string, exceptTrackId?: string): Promise<void> {
    await this.tracks.lockIsrc(orgId, isrc);
    const holder = await this.tracks.findIsrcHolder(orgId, isrc, exceptTrackId);
    if (holder) {
      throw new Conflict(`ISRC ${isrc} is already used by track ${holder.id} of release ${holder.releaseId}; an ISRC identifies one recording.`);
    }
  }

  private async assertTrackNumberFree(orgId: string, releaseId: string, trackNumber: number, exceptTrackId?: string): Promise<void> {
    if (await this.tracks.isTrackNumberTaken(orgId, releaseId, trackNumber, exceptTrackId)) {
      throw new Conflict(`The release already has a track number ${trackNumber}.`);
    }
  }

  /**
   * The checks above run under the release lock and the ISRC lock, so the
   * unique indexes (org_id, isrc) and (release_id, track_number) are the last
   * line of defence only; should one fire, the client still gets a precise 409.
   */
  private async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.db.withTransaction(work);
    } catch (error) {
      if (classifyDatabaseError(error) !== 'unique-violation') throw error;
      switch (violatedIndex(error)) {
        case 'tracks_org_id_isrc_key':
          throw new Conflict('Another track of this organization already has this ISRC; an ISRC identifies one recording.');
        case 'tracks_release_id_track_number_key':
          throw new Conflict('The release already has a track with this number.');
        default:
          throw new Conflict('Another track of this organization already has this ISRC, or this release already has this track number.');
      }
    }
  }
}
