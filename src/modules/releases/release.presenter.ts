import { ApiProperty } from '@nestjs/swagger';
import type { Release, Track, TrackContributor } from '../../generated/prisma/client';
import { formatEntityTag } from '../../platform/http/entity-tag';
import { dateToCalendarDate } from './calendar-date';
import { CONTRIBUTOR_ROLES, type ContributorRole } from './dto/create-track.dto';
import { RELEASE_STATUSES, type ReleaseStatus } from './release-lifecycle';

export type TrackRow = Track & { contributors: TrackContributor[] };
export type ReleaseRow = Release & { tracks: TrackRow[] };
export type ReleaseSummaryRow = Release & { _count: { tracks: number } };

/**
 * A release's ETag: strong, from its version, e.g. `"v3"`. Every change to the
 * release or one of its tracks bumps the version, so equal tags mean an equal
 * representation (RFC 9110 §8.8.3). It is a tag of one release: tags of two
 * releases are not comparable.
 */
export function releaseEtag(version: number): string {
  return formatEntityTag(releaseEntityTag(version));
}

export function releaseEntityTag(version: number): { weak: false; opaque: string } {
  return { weak: false, opaque: `v${version}` };
}

export class ContributorView {
  @ApiProperty({ example: 'Bill Evans' }) name: string;
  @ApiProperty({ enum: CONTRIBUTOR_ROLES }) role: ContributorRole;
}

export class TrackView {
  @ApiProperty({ example: 'trk_01JF3Z…' }) id: string;
  @ApiProperty({ example: 'rel_01JF3Z…' }) releaseId: string;
  @ApiProperty({ example: 1 }) trackNumber: number;
  @ApiProperty({ example: 'So What' }) title: string;
  @ApiProperty({ type: String, nullable: true, example: 'USRC17607839', description: 'Without hyphens.' }) isrc: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'T-034.524.680-1' }) iswc: string | null;
  @ApiProperty() explicit: boolean;
  @ApiProperty({ type: [ContributorView] }) contributors: ContributorView[];
  @ApiProperty({ type: String, nullable: true, description: 'The accepted upload attached as audio.' }) audioUploadId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ReleaseSummaryView {
  @ApiProperty({ example: 'rel_01JF3Z…' }) id: string;
  @ApiProperty({ enum: RELEASE_STATUSES }) status: ReleaseStatus;
  @ApiProperty({ type: String, nullable: true, description: 'The reason given with the last status change.' }) statusReason: string | null;
  @ApiProperty() title: string;
  @ApiProperty({ type: [String] }) artists: string[];
  @ApiProperty({ type: String, nullable: true }) label: string | null;
  @ApiProperty({ type: String, nullable: true }) upc: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date' }) releaseDate: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date' }) originalReleaseDate: string | null;
  @ApiProperty({ type: String, nullable: true }) genre: string | null;
  @ApiProperty({ type: String, nullable: true }) language: string | null;
  @ApiProperty() explicit: boolean;
  @ApiProperty({ type: String, nullable: true }) copyrightLine: string | null;
  @ApiProperty({ type: String, nullable: true }) phonographicLine: string | null;
  @ApiProperty({ type: [String] }) territories: string[];
  @ApiProperty({ description: 'Grows by one on every change; the ETag is "v<version>".' }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ReleaseListItemView extends ReleaseSummaryView {
  @ApiProperty() trackCount: number;
}

export class ReleaseView extends ReleaseSummaryView {
  @ApiProperty({ type: [TrackView], description: 'Ordered by trackNumber.' }) tracks: TrackView[];
}

export class ReleasePageView {
  @ApiProperty({ type: [ReleaseListItemView] }) data: ReleaseListItemView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

function presentSummary(row: Release): ReleaseSummaryView {
  return {
    id: row.id,
    status: row.status as ReleaseStatus,
    statusReason: row.statusReason,
    title: row.title,
    artists: row.artists,
    label: row.label,
    upc: row.upc,
    releaseDate: row.releaseDate ? dateToCalendarDate(row.releaseDate) : null,
    originalReleaseDate: row.originalReleaseDate ? dateToCalendarDate(row.originalReleaseDate) : null,
    genre: row.genre,
    language: row.language,
    explicit: row.explicit,
    copyrightLine: row.copyrightLine,
    phonographicLine: row.phonographicLine,
    territories: row.territories,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentReleaseListItem(row: ReleaseSummaryRow): ReleaseListItemView {
  return { ...presentSummary(row), trackCount: row._count.tracks };
}

export function presentRelease(row: ReleaseRow): ReleaseView {
  return { ...presentSummary(row), tracks: row.tracks.map(presentTrack) };
}

export function presentTrack(row: TrackRow): TrackView {
  return {
    id: row.id,
    releaseId: row.releaseId,
    trackNumber: row.trackNumber,
    title: row.title,
    isrc: row.isrc,
    iswc: row.iswc,
    explicit: row.explicit,
    contributors: row.contributors.map((c) => ({ name: c.name, role: c.role as ContributorRole })),
    audioUploadId: row.audioUploadId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
