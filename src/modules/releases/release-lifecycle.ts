// The release lifecycle (API guide: Releases and their lifecycle), in one place and free of Nest and Prisma:
//
//   draft → submitted → approved → live → taken_down
//           submitted → rejected → draft
//                       approved → taken_down
//
// `draft → submitted` is the customer's step (POST /submit, after the
// completeness check below); every other transition is a back-office one
// (POST /status, `releases:publish`). Only a draft can be edited or deleted.
import type { FieldError } from '../../platform/errors/domain-errors';

export const RELEASE_STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'live', 'taken_down'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

const TRANSITIONS: Readonly<Record<ReleaseStatus, readonly ReleaseStatus[]>> = {
  draft: ['submitted'],
  submitted: ['approved', 'rejected'],
  approved: ['live', 'taken_down'],
  rejected: ['draft'],
  live: ['taken_down'],
  taken_down: [],
};

/** The statuses POST /status may move a release into: every target except `submitted`, which needs /submit. */
export const BACK_OFFICE_TARGETS = ['approved', 'rejected', 'live', 'taken_down', 'draft'] as const satisfies readonly ReleaseStatus[];
export type BackOfficeTarget = (typeof BACK_OFFICE_TARGETS)[number];

export function isReleaseStatus(value: unknown): value is ReleaseStatus {
  return typeof value === 'string' && (RELEASE_STATUSES as readonly string[]).includes(value);
}

export function nextStatuses(from: ReleaseStatus): readonly ReleaseStatus[] {
  return TRANSITIONS[from];
}

export function canTransition(from: ReleaseStatus, to: ReleaseStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Why a release that is not a draft cannot be changed or deleted, with the
 * step that is possible from its status (not always taking it down: a
 * taken-down release is final, a submitted one awaits review).
 */
export function notEditableReason(status: ReleaseStatus, releaseId: string): string {
  const base = `The release is ${status}; only a draft can be changed or deleted.`;
  const route = `POST /v1/releases/${releaseId}/status`;
  switch (status) {
    case 'submitted':
      return `${base} It awaits review, which approves or rejects it; a rejected release can go back to draft (${route} with "draft").`;
    case 'rejected':
      return `${base} Move it back to draft first (${route} with "draft").`;
    case 'approved':
    case 'live':
      return `${base} To withdraw it from distribution, take it down (${route} with "taken_down").`;
    case 'taken_down':
      return `${base} Taken down is final: the release is kept as the record of what was distributed and cannot be changed or deleted.`;
    default:
      return base;
  }
}

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

/** Whether POST /status may move a release from `from` to `to`, with a client-facing reason when not. */
export function checkBackOfficeTransition(from: ReleaseStatus, to: ReleaseStatus): TransitionCheck {
  if (to === 'submitted') {
    return { ok: false, reason: 'A release is submitted with POST /v1/releases/{id}/submit, which checks its completeness.' };
  }
  if (!canTransition(from, to)) return { ok: false, reason: illegalTransitionReason(from, to) };
  return { ok: true };
}

export function illegalTransitionReason(from: ReleaseStatus, to: ReleaseStatus): string {
  const allowed = TRANSITIONS[from];
  const options = allowed.length ? `it can move to ${allowed.join(' or ')}` : 'it is final';
  return `A release in status ${from} cannot move to ${to}; ${options}.`;
}

/** Only drafts are edited (metadata and tracks) or deleted; later states change through transitions. */
export function isEditable(status: ReleaseStatus): boolean {
  return status === 'draft';
}

export interface SubmissionRelease {
  upc: string | null;
  releaseDate: Date | string | null;
}

export interface SubmissionTrack {
  id: string;
  trackNumber: number;
  isrc: string | null;
  /** True when the track has an accepted audio upload attached. */
  hasAcceptedAudio: boolean;
}

/**
 * Every item that stops a release from being submitted, in a stable order
 * (release fields, then tracks by their order), so a 422 lists them all at once
 * instead of one per attempt. `tracks` must be ordered by track number; the
 * field paths index into the release representation's `tracks` array.
 */
export function missingForSubmission(release: SubmissionRelease, tracks: readonly SubmissionTrack[]): FieldError[] {
  const missing: FieldError[] = [];
  if (!release.upc) missing.push({ field: 'upc', message: 'a UPC or EAN is required' });
  if (!release.releaseDate) missing.push({ field: 'releaseDate', message: 'a release date is required' });
  if (tracks.length === 0) missing.push({ field: 'tracks', message: 'at least one track is required' });
  tracks.forEach((track, index) => {
    const name = `track ${track.trackNumber} (${track.id})`;
    if (!track.isrc) missing.push({ field: `tracks.${index}.isrc`, message: `${name} has no ISRC` });
    if (!track.hasAcceptedAudio) {
      missing.push({ field: `tracks.${index}.audio`, message: `${name} has no accepted audio upload attached` });
    }
  });
  return missing;
}
