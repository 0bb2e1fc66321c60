import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import type { Tx } from '../../platform/database/prisma.service';
import type { TrackRow } from '../releases/release.presenter';

const WITH_CONTRIBUTORS = { contributors: { orderBy: { position: 'asc' } } } as const satisfies Prisma.TrackInclude;

/**
 * The one column of `tracks` that uploads write: audio_upload_id.
 * Interim: it belongs in TracksService (see TrackAudioService); every method
 * takes the org and release ids, like the releases module's own repository.
 */
@Injectable()
export class TrackAudioRepository {
  findTrack(tx: Tx, orgId: string, releaseId: string, trackId: string): Promise<TrackRow | null> {
    return tx.track.findFirst({ where: { id: trackId, orgId, releaseId }, include: WITH_CONTRIBUTORS });
  }

  async setAudio(tx: Tx, orgId: string, releaseId: string, trackId: string, audioUploadId: string | null): Promise<TrackRow | null> {
    const { count } = await tx.track.updateMany({ where: { id: trackId, orgId, releaseId }, data: { audioUploadId, updatedAt: new Date() } });
    return count === 1 ? this.findTrack(tx, orgId, releaseId, trackId) : null;
  }
}
