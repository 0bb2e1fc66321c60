import { Injectable } from '@nestjs/common';
import type { Tx } from '../../platform/database/prisma.service';
import { Conflict } from '../../platform/http/problem-details';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { presentRelease, type ReleaseView } from '../releases/release.presenter';
import { canTransition, illegalTransitionReason, type ReleaseStatus } from '../releases/release-lifecycle';
import { asJson, ReleasesService } from '../releases/releases.service';

/**
 * A release transition reported by a partner, inside the caller's transaction
 * (so the callback's dedup row, the release change and its outbound event
 * commit together). Built from ReleasesService's public pieces — lockForChange
 * (404, row lock) and write (version bump) — and the lifecycle table, and it
 * records the same `release.status_changed` event as a back-office change.
 * ReleasesService has no public "transition in this tx" method yet; when it
 * gains one, this class should call it instead of repeating the event shape.
 */
@Injectable()
export class PartnerReleaseTransitions {
  constructor(
    private readonly releases: ReleasesService,
    private readonly outbox: OutboxWriter,
  ) {}

  async apply(tx: Tx, orgId: string, releaseId: string, to: ReleaseStatus, reason: string | null): Promise<ReleaseView> {
    const current = await this.releases.lockForChange(tx, orgId, releaseId);
    const from = current.status as ReleaseStatus;
    if (!canTransition(from, to)) throw new Conflict(illegalTransitionReason(from, to));
    const view = presentRelease(await this.releases.write(tx, current, { status: to, statusReason: reason }));
    await this.outbox.record(tx, orgId, 'release.status_changed', { release: asJson(view), previousStatus: from, status: to, reason });
    return view;
  }
}
