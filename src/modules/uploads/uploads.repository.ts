import { Injectable } from '@nestjs/common';
import type { Prisma, Upload } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import type { UploadStatus } from './distribution-rules';

export type NewUpload = Omit<Prisma.UploadUncheckedCreateInput, 'orgId' | 'createdAt' | 'attachedTo'>;

/** An upload with the track it is attached to, if any (what the API shows as its trackId). */
export type UploadRow = Upload & { attachedTo: { id: string } | null };
const WITH_ATTACHMENT = { attachedTo: { select: { id: true } } } as const;

/**
 * Table access for uploads. Every method takes the caller's org id and puts
 * it in the WHERE clause, so no method reaches another organization's rows.
 */
@Injectable()
export class UploadsRepository {
  constructor(private readonly db: Db) {}

  create(orgId: string, upload: NewUpload): Promise<UploadRow> {
    return this.db.tx.upload.create({ data: { ...upload, orgId }, include: WITH_ATTACHMENT });
  }

  findOneForOrg(orgId: string, id: string): Promise<UploadRow | null> {
    return this.db.tx.upload.findFirst({ where: { id, orgId }, include: WITH_ATTACHMENT });
  }

  /** Keyset page, newest first: up to `limit + 1` rows with ids below `afterId`. */
  findPageForOrg(orgId: string, page: { limit: number; afterId?: string; status?: UploadStatus }): Promise<UploadRow[]> {
    return this.db.tx.upload.findMany({
      include: WITH_ATTACHMENT,
      where: { orgId, ...(page.status ? { status: page.status } : {}), ...(page.afterId ? { id: { lt: page.afterId } } : {}) },
      orderBy: { id: 'desc' },
      take: page.limit + 1,
    });
  }

  /**
   * The upload, locked for the rest of the surrounding transaction against
   * another attach or a delete (FOR NO KEY UPDATE: the foreign key check of
   * the track that will point at it, FOR KEY SHARE, still passes). Two
   * attaches of one upload so run one after the other, and the second sees
   * the first's track; a concurrent delete (FOR UPDATE) waits, then sees the
   * track and refuses.
   */
  async findOneForOrgLocked(orgId: string, id: string): Promise<UploadRow | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM uploads WHERE id = ${id} AND org_id = ${orgId} FOR NO KEY UPDATE`;
    return rows.length === 1 ? this.findOneForOrg(orgId, id) : null;
  }

  /** Locks the upload row for the rest of `tx` (a concurrent attach then waits on its foreign key check). */
  async lockForOrg(orgId: string, id: string): Promise<boolean> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM uploads WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows.length === 1;
  }

  /** Ids of the tracks whose audio this upload is (at most a few). */
  async trackIdsUsing(orgId: string, id: string): Promise<string[]> {
    const tracks = await this.db.tx.track.findMany({ where: { orgId, audioUploadId: id }, select: { id: true }, orderBy: { id: 'asc' }, take: 10 });
    return tracks.map((track) => track.id);
  }

  /** True when `trackId` is a track of this organization (read-only; tracks belong to the releases module). */
  async trackExistsForOrg(orgId: string, trackId: string): Promise<boolean> {
    return (await this.db.tx.track.count({ where: { id: trackId, orgId } })) === 1;
  }

  async deleteForOrg(orgId: string, id: string): Promise<boolean> {
    const { count } = await this.db.tx.upload.deleteMany({ where: { id, orgId } });
    return count === 1;
  }
}
