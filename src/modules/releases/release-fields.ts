// From validated DTOs to column values: the conversions that are not
// validation (canonical forms, DATE values) and the cross-field rules a single
// decorator cannot see. Pure, so the rules are unit-tested without a database.
import type { FieldError } from '../../platform/errors/domain-errors';
import { calendarDateToDate } from './calendar-date';
import type { CreateReleaseDto } from './dto/create-release.dto';
import type { CreateTrackDto } from './dto/create-track.dto';
import { normalizeIsrc } from './identifiers/isrc';
import { normalizeIswc } from './identifiers/iswc';
import type { ReleaseChanges, ReleaseFields } from './releases.repository';
import type { ContributorFields, TrackFields } from './tracks.repository';

/** Territories when the client names none: distributors read an empty list as "nowhere". */
export const DEFAULT_TERRITORIES = ['WW'];

const LANGUAGE_TAG_MAX = 35;

/** BCP 47 tags are case-insensitive (RFC 5646 §2.1.1); store the canonical spelling, e.g. en-us → en-US. */
export function canonicalLanguageTag(tag: string): string {
  const [canonical] = Intl.getCanonicalLocales(tag);
  return canonical && canonical.length <= LANGUAGE_TAG_MAX ? canonical : tag;
}

/** The columns a PATCH body (or a create body) sets; absent properties are left out, `null` clears. */
export function releaseChanges(dto: Partial<CreateReleaseDto>): ReleaseChanges {
  const changes: ReleaseChanges = {};
  if (dto.title !== undefined) changes.title = dto.title;
  if (dto.artists !== undefined) changes.artists = dto.artists;
  if (dto.label !== undefined) changes.label = dto.label;
  if (dto.upc !== undefined) changes.upc = dto.upc;
  if (dto.releaseDate !== undefined) changes.releaseDate = dto.releaseDate === null ? null : calendarDateToDate(dto.releaseDate);
  if (dto.originalReleaseDate !== undefined) {
    changes.originalReleaseDate = dto.originalReleaseDate === null ? null : calendarDateToDate(dto.originalReleaseDate);
  }
  if (dto.genre !== undefined) changes.genre = dto.genre;
  if (dto.language !== undefined) changes.language = dto.language === null ? null : canonicalLanguageTag(dto.language);
  if (dto.explicit !== undefined) changes.explicit = dto.explicit;
  if (dto.copyrightLine !== undefined) changes.copyrightLine = dto.copyrightLine;
  if (dto.phonographicLine !== undefined) changes.phonographicLine = dto.phonographicLine;
  if (dto.territories !== undefined) changes.territories = dto.territories;
  return changes;
}

export function newReleaseFields(dto: CreateReleaseDto): ReleaseFields {
  return { explicit: false, territories: DEFAULT_TERRITORIES, ...releaseChanges(dto), title: dto.title, artists: dto.artists };
}

/** An original release date after the release date is a typo (DDEX: the first release of a reissued product). */
export function releaseDateOrderError(dates: { releaseDate?: Date | string | null; originalReleaseDate?: Date | string | null }): FieldError | null {
  const { releaseDate, originalReleaseDate } = dates;
  if (!releaseDate || !originalReleaseDate) return null;
  if (new Date(originalReleaseDate).getTime() <= new Date(releaseDate).getTime()) return null;
  return { field: 'originalReleaseDate', message: 'originalReleaseDate must not be after releaseDate' };
}

/** Track columns from a create or PATCH body; ISRC compact, ISWC dotted (the validators have accepted both spellings). */
export function trackChanges(dto: Partial<CreateTrackDto>): Partial<TrackFields> {
  const changes: Partial<TrackFields> = {};
  if (dto.title !== undefined) changes.title = dto.title;
  if (dto.isrc !== undefined) changes.isrc = dto.isrc === null ? null : normalizeIsrc(dto.isrc);
  if (dto.iswc !== undefined) changes.iswc = dto.iswc === null ? null : normalizeIswc(dto.iswc);
  if (dto.trackNumber !== undefined) changes.trackNumber = dto.trackNumber;
  if (dto.explicit !== undefined) changes.explicit = dto.explicit;
  return changes;
}

export function contributorFields(dto: Partial<CreateTrackDto>): ContributorFields[] | undefined {
  return dto.contributors?.map((c) => ({ name: c.name, role: c.role }));
}
