import { Injectable } from '@nestjs/common';
import type { Prisma, Release } from '../../generated/prisma/client';
import { classifyDatabaseError, violatedIndex } from '../../platform/database/database-errors';
import { Db } from '../../platform/database/db';
import { IfMatchCondition, ifMatchAllows } from '../../platform/http/entity-tag';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { Conflict, NotFound, PreconditionFailed, problemType, Unprocessable } from '../../platform/errors/domain-errors';
import { looksLikeId, newId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import type { ChangeStatusDto } from './dto/change-status.dto';
import type { CreateReleaseDto } from './dto/create-release.dto';
import type { ListReleasesQuery } from './dto/list-releases.query';
import type { UpdateReleaseDto } from './dto/update-release.dto';
import { gtinSpellings } from './identifiers/gs1-code';
import { newReleaseFields, releaseChanges, releaseDateOrderError } from './release-fields';
import {
  checkBackOfficeTransition,
  illegalTransitionReason,
  isEditable,
  missingForSubmission,
  notEditableReason,
  type ReleaseStatus,
} from './release-lifecycle';
import {
  presentRelease,
  presentReleaseListItem,
  releaseEntityTag,
  ReleaseListItemView,
  ReleaseRow,
  ReleaseView,
} from './release.presenter';
import { ReleasesRepository, type ReleaseChanges } from './releases.repository';

export interface LockOptions {
  ifMatch?: IfMatchCondition;
  /** Refuse (409) unless the release is a draft. */
  draftOnly?: boolean;
}

/**
 * Release rules. Each change runs in one transaction that first locks the
 * release row, checks If-Match, status and completeness against that locked
 * row, writes with a version-guarded UPDATE and records its outbox event, so
 * concurrent writers serialise and a rejected request leaves no trace.
 */
@Injectable()
export class ReleasesService {
  constructor(
    private readonly db: Db,
    private readonly releases: ReleasesRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(orgId: string, dto: CreateReleaseDto): Promise<ReleaseView> {
    const fields = newReleaseFields(dto);
    assertDateOrder(fields);
    return this.withUpcGuard(async () => {
      if (fields.upc) await this.assertUpcFree(orgId, fields.upc);
      const row = await this.releases.create(orgId, newId('rel'), fields);
      const view = presentRelease(row);
      await this.outbox.record(orgId, 'release.created', { release: asJson(view) });
      return view;
    });
  }

  async list(orgId: string, query: ListReleasesQuery): Promise<Page<ReleaseListItemView>> {
    const afterId = decodeCursor(query.cursor);
    const rows = await this.releases.findPageForOrg(orgId, { limit: query.limit, afterId, status: query.status });
    return toPage(rows, query.limit, presentReleaseListItem);
  }

  async get(orgId: string, id: string): Promise<ReleaseView> {
    const row = looksLikeId('rel', id) ? await this.releases.findOneForOrg(orgId, id) : null;
    if (!row) throw new NotFound('release');
    return presentRelease(row);
  }

  async update(orgId: string, id: string, dto: UpdateReleaseDto, ifMatch?: IfMatchCondition): Promise<ReleaseView> {
    const changes = releaseChanges(dto);
    return this.withUpcGuard(async () => {
      const current = await this.lockForChange(orgId, id, { ifMatch, draftOnly: true });
      // An empty body changes nothing: no new version, no event.
      if (Object.keys(changes).length === 0) return presentRelease(await this.load(orgId, id));
      assertDateOrder({ ...current, ...changes });
      if (changes.upc && changes.upc !== current.upc) await this.assertUpcFree(orgId, changes.upc, id);
      const row = await this.write(current, changes);
      const view = presentRelease(row);
      await this.outbox.record(orgId, 'release.updated', { release: asJson(view) });
      return view;
    });
  }

  async delete(orgId: string, id: string, ifMatch?: IfMatchCondition): Promise<void> {
    await this.db.withTransaction(async () => {
      await this.lockForChange(orgId, id, { ifMatch, draftOnly: true });
      const last = await this.load(orgId, id);
      await this.releases.deleteForOrg(orgId, id);
      await this.outbox.record(orgId, 'release.deleted', { release: asJson(last) });
    });
  }

  /** draft → submitted, after the completeness check (422 listing every missing item). */
  async submit(orgId: string, id: string, ifMatch?: IfMatchCondition): Promise<ReleaseView> {
    return this.db.withTransaction(async () => {
      const current = await this.lockForChange(orgId, id, { ifMatch });
      const from = current.status as ReleaseStatus;
      if (from !== 'draft') throw new Conflict(illegalTransitionReason(from, 'submitted'));
      const release = await this.load(orgId, id);
      const missing = missingForSubmission(current, release.tracks.map((track) => ({
        id: track.id,
        trackNumber: track.trackNumber,
        isrc: track.isrc,
        // Only an accepted upload can be attached (the attach route checks), so
        // an attached upload is an accepted one.
        hasAcceptedAudio: track.audioUploadId !== null,
      })));
      if (missing.length > 0) {
        throw new Unprocessable('The release is not complete enough to submit; every missing item is listed in errors.', missing, {
          type: problemType('release-incomplete'),
        });
      }
      return this.transition(current, 'submitted', null);
    });
  }

  /** Back-office transitions (POST /status); an illegal one is 409. */
  async changeStatus(orgId: string, id: string, dto: ChangeStatusDto, ifMatch?: IfMatchCondition): Promise<ReleaseView> {
    return this.db.withTransaction(() => this.applyTransition(orgId, id, dto.status, dto.reason, { ifMatch }));
  }

  /**
   * A back-office transition inside the caller's transaction: locks the
   * release (404, then 412 for `ifMatch`), refuses what the lifecycle does not
   * allow (409), then moves it and records `release.status_changed`. POST
   * /status and partner callbacks (whose dedup row commits with it) both use it.
   */
  async applyTransition(
    orgId: string,
    releaseId: string,
    to: ReleaseStatus,
    reason?: string | null,
    options: Pick<LockOptions, 'ifMatch'> = {},
  ): Promise<ReleaseView> {
    const current = await this.lockForChange(orgId, releaseId, { ifMatch: options.ifMatch });
    const check = checkBackOfficeTransition(current.status as ReleaseStatus, to);
    if (!check.ok) throw new Conflict(check.reason);
    return this.transition(current, to, reason ?? null);
  }

  /**
   * Locks the release for a change and applies the preconditions in RFC 9110
   * §13.2.2 order: existence (404), If-Match (412), then state (409). Tracks
   * use it too: a track change is a change of its release.
   */
  async lockForChange(orgId: string, id: string, options: LockOptions = {}): Promise<Release> {
    const current = looksLikeId('rel', id) ? await this.releases.lockForOrg(orgId, id) : null;
    if (!current) throw new NotFound('release');
    if (options.ifMatch && !ifMatchAllows(options.ifMatch, releaseEntityTag(current.version))) throw new PreconditionFailed();
    if (options.draftOnly) assertDraft(current);
    return current;
  }

  /** Bumps the release's version (and applies `changes`) under the lock taken by lockForChange. */
  async write(current: Release, changes: ReleaseChanges = {}): Promise<ReleaseRow> {
    // Under the row lock the version cannot have moved; the guard makes the
    // UPDATE itself race-safe should a caller ever skip the lock.
    if (!(await this.releases.updateIfVersion(current.orgId, current.id, current.version, changes))) throw new PreconditionFailed();
    return this.load(current.orgId, current.id);
  }

  private async transition(current: Release, to: ReleaseStatus, reason: string | null): Promise<ReleaseView> {
    const row = await this.write(current, { status: to, statusReason: reason });
    const view = presentRelease(row);
    await this.outbox.record(current.orgId, 'release.status_changed', {
      release: asJson(view),
      previousStatus: current.status,
      status: to,
      reason,
    });
    return view;
  }

  /** A UPC/EAN identifies one product: 409 when another release of the organization has it, in either spelling. */
  private async assertUpcFree(orgId: string, upc: string, exceptReleaseId?: string): Promise<void> {
    const spellings = gtinSpellings(upc);
    await this.releases.lockUpc(orgId, spellings.find((code) => code.length === 13) ?? upc);
    const holder = await this.releases.findUpcHolder(orgId, spellings, exceptReleaseId);
    if (holder) throw new Conflict(upcTaken(upc, holder.id));
  }

  /**
   * assertUpcFree runs under the UPC lock, so the unique index (org_id, upc)
   * is the last line of defence only; should it fire, the client still gets a
   * precise 409.
   */
  private async withUpcGuard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.db.withTransaction(work);
    } catch (error) {
      if (classifyDatabaseError(error) === 'unique-violation' && violatedIndex(error) === 'releases_org_id_upc_key') {
        throw new Conflict(upcTaken());
      }
      throw error;
    }
  }

  private async load(orgId: string, id: string): Promise<ReleaseRow> {
    const row = await this.releases.findOneForOrg(orgId, id);
    if (!row) throw new NotFound('release');
    return row;
  }
}

/** 409 unless the release is a draft: later states change only through transitions. */
export function assertDraft(release: Release): void {
  if (!isEditable(release.status as ReleaseStatus)) throw new Conflict(notEditableReason(release.status as ReleaseStatus, release.id));
}

function upcTaken(upc?: string, holderId?: string): string {
  const who = holderId ? `release ${holderId}` : 'another release of this organization';
  return `${upc ? `UPC/EAN ${upc}` : 'This UPC/EAN'} is already used by ${who}; a UPC/EAN identifies one product.`;
}

function assertDateOrder(dates: { releaseDate?: Date | string | null; originalReleaseDate?: Date | string | null }): void {
  const error = releaseDateOrderError(dates);
  if (error) throw new Unprocessable('The release dates are inconsistent.', [error]);
}

/** Views are plain JSON data (strings, numbers, booleans, null, arrays). */
export function asJson(view: object): Prisma.InputJsonObject {
  return view as unknown as Prisma.InputJsonObject;
}
