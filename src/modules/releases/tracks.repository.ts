import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import { newId } from '../../platform/ids';
import type { ContributorRole } from './dto/create-track.dto';
import type { TrackRow } from './release.presenter';

export interface ContributorFields {
  name: string;
  role: ContributorRole;
}

export type TrackFields = Pick<Prisma.TrackUncheckedCreateInput, 'title' | 'isrc' | 'iswc' | 'trackNumber' | 'explicit'>;

const WITH_CONTRIBUTORS = { contributors: { orderBy: { position: 'asc' } } } as const satisfies Prisma.TrackInclude;

/**
 * Table access for tracks and their credits. Every method takes the org id
 * (and the release id where a track is addressed through its release), so a
 * track is only reachable through its own organization and release.
 */
@Injectable()
export class TracksRepository {
  constructor(private readonly db: Db) {}

  findOneForOrg(orgId: string, releaseId: string, id: string): Promise<TrackRow | null> {
    return this.db.tx.track.findFirst({ where: { id, orgId, releaseId }, include: WITH_CONTRIBUTORS });
  }

  /**
   * Serialises, until `tx` ends, every transaction that checks or claims this
   * ISRC in this org, so the check-then-write in TracksService cannot race
   * (two releases have two row locks). Without it the unique index would
   * still decide, but by aborting the loser's transaction.
   */
  async lockIsrc(orgId: string, isrc: string): Promise<void> {
    await this.db.tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`isrc:${orgId}:${isrc}`}, 0))`;
  }

  /** The track of this org holding `isrc`, other than `exceptId`. */
  findIsrcHolder(orgId: string, isrc: string, exceptId?: string): Promise<{ id: string; releaseId: string } | null> {
    return this.db.tx.track.findFirst({
      where: { orgId, isrc, ...(exceptId ? { id: { not: exceptId } } : {}) },
      select: { id: true, releaseId: true },
    });
  }

  async isTrackNumberTaken(orgId: string, releaseId: string, trackNumber: number, exceptId?: string): Promise<boolean> {
    const count = await this.db.tx.track.count({
      where: { orgId, releaseId, trackNumber, ...(exceptId ? { id: { not: exceptId } } : {}) },
    });
    return count > 0;
  }

  /** One past the highest track number on the release (1 for none). Call under the release lock. */
  async nextTrackNumber(orgId: string, releaseId: string): Promise<number> {
    const { _max } = await this.db.tx.track.aggregate({ where: { orgId, releaseId }, _max: { trackNumber: true } });
    return (_max.trackNumber ?? 0) + 1;
  }

  create(orgId: string, releaseId: string, fields: TrackFields, contributors: ContributorFields[]): Promise<TrackRow> {
    return this.db.tx.track.create({
      data: { ...fields, id: newId('trk'), orgId, releaseId, contributors: { create: contributorRows(orgId, contributors) } },
      include: WITH_CONTRIBUTORS,
    });
  }

  /** Updates the track; a given `contributors` list replaces the old one. */
  async update(orgId: string, releaseId: string, id: string, fields: Partial<TrackFields>, contributors?: ContributorFields[]): Promise<TrackRow | null> {
    // updatedAt is set explicitly: a change of credits alone must move it too.
    const { count } = await this.db.tx.track.updateMany({ where: { id, orgId, releaseId }, data: { ...fields, updatedAt: new Date() } });
    if (count === 0) return null;
    if (contributors) {
      await this.db.tx.trackContributor.deleteMany({ where: { orgId, trackId: id } });
      await this.db.tx.trackContributor.createMany({ data: contributorRows(orgId, contributors).map((row) => ({ ...row, trackId: id })) });
    }
    return this.findOneForOrg(orgId, releaseId, id);
  }

  /** Sets (or with null clears) the track's audio upload; null when no such track. */
  async setAudio(orgId: string, releaseId: string, id: string, audioUploadId: string | null): Promise<TrackRow | null> {
    const { count } = await this.db.tx.track.updateMany({ where: { id, orgId, releaseId }, data: { audioUploadId, updatedAt: new Date() } });
    return count === 1 ? this.findOneForOrg(orgId, releaseId, id) : null;
  }

  async delete(orgId: string, releaseId: string, id: string): Promise<boolean> {
    const { count } = await this.db.tx.track.deleteMany({ where: { id, orgId, releaseId } });
    return count === 1;
  }
}

function contributorRows(orgId: string, contributors: ContributorFields[]) {
  return contributors.map((c, position) => ({ id: newId('ctb'), orgId, position: position + 1, name: c.name, role: c.role }));
}
