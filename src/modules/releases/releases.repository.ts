import { Injectable } from '@nestjs/common';
import type { Prisma, Release } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import type { ReleaseRow, ReleaseSummaryRow } from './release.presenter';
import type { ReleaseStatus } from './release-lifecycle';

/** Release columns a service may set; `version` and timestamps are the repository's. */
export type ReleaseFields = Omit<Prisma.ReleaseUncheckedCreateInput, 'id' | 'orgId' | 'version' | 'createdAt' | 'updatedAt' | 'tracks'>;
export type ReleaseChanges = Partial<ReleaseFields>;

/** Tracks in release order, each with its credits in display order. */
export const WITH_TRACKS = {
  tracks: { orderBy: { trackNumber: 'asc' }, include: { contributors: { orderBy: { position: 'asc' } } } },
} as const satisfies Prisma.ReleaseInclude;

/**
 * Table access for releases. Every method takes the caller's org id and puts
 * it in the WHERE clause, so no method can reach another organization's rows.
 */
@Injectable()
export class ReleasesRepository {
  constructor(private readonly db: Db) {}

  /** Keyset page, newest first: up to `limit + 1` rows with ids below `afterId`. */
  findPageForOrg(orgId: string, page: { limit: number; afterId?: string; status?: ReleaseStatus }): Promise<ReleaseSummaryRow[]> {
    return this.db.tx.release.findMany({
      where: {
        orgId,
        ...(page.status ? { status: page.status } : {}),
        ...(page.afterId ? { id: { lt: page.afterId } } : {}),
      },
      include: { _count: { select: { tracks: true } } },
      orderBy: { id: 'desc' },
      take: page.limit + 1,
    });
  }

  findOneForOrg(orgId: string, id: string): Promise<ReleaseRow | null> {
    return this.db.tx.release.findFirst({ where: { id, orgId }, include: WITH_TRACKS });
  }

  /** One INSERT … RETURNING: a new release has no tracks yet, so nothing needs reading back. */
  async create(orgId: string, id: string, fields: ReleaseFields): Promise<ReleaseRow> {
    const row = await this.db.tx.release.create({ data: { ...fields, id, orgId } });
    return { ...row, tracks: [] };
  }

  /**
   * Locks the release row for the rest of `tx` and returns it as it is now.
   * Every change to a release or its tracks takes this lock first, so checks
   * made on the returned row (status, version, next track number) hold until commit.
   */
  async lockForOrg(orgId: string, id: string): Promise<Release | null> {
    const rows = await this.db.tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM releases WHERE id = ${id} AND org_id = ${orgId} FOR UPDATE`;
    return rows.length ? this.db.tx.release.findFirst({ where: { id, orgId } }) : null;
  }

  /**
   * Applies `changes` and bumps the version, only if the row is still at
   * `expectedVersion`: one `UPDATE … WHERE id AND org_id AND version`, so of
   * two writers holding the same version exactly one succeeds. False when no
   * row matched.
   */
  async updateIfVersion(orgId: string, id: string, expectedVersion: number, changes: ReleaseChanges = {}): Promise<boolean> {
    const { count } = await this.db.tx.release.updateMany({
      where: { id, orgId, version: expectedVersion },
      data: { ...changes, version: { increment: 1 } },
    });
    return count === 1;
  }

  /**
   * Serialises, until commit, every writer of one UPC/EAN in an organization
   * (as lockIsrc does for ISRCs), so the holder check below cannot race.
   */
  async lockUpc(orgId: string, gtin13: string): Promise<void> {
    await this.db.tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`upc:${orgId}:${gtin13}`}, 0))`;
  }

  /** The organization's release (other than `exceptId`) carrying any of `spellings` of one UPC/EAN. */
  findUpcHolder(orgId: string, spellings: string[], exceptId?: string): Promise<{ id: string } | null> {
    return this.db.tx.release.findFirst({
      where: { orgId, upc: { in: spellings }, ...(exceptId ? { id: { not: exceptId } } : {}) },
      select: { id: true },
      orderBy: { id: 'asc' },
    });
  }

  async deleteForOrg(orgId: string, id: string): Promise<boolean> {
    const { count } = await this.db.tx.release.deleteMany({ where: { id, orgId } });
    return count === 1;
  }
}
