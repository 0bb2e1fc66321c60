import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsIsrc, IsIswc } from '../identifiers/identifier-validators';
import { IsOptionalNotNull, IsSingleLineText } from '../../../platform/http/field-validators';

export const CONTRIBUTOR_ROLES = ['artist', 'featured', 'composer', 'lyricist', 'producer', 'remixer'] as const;
export type ContributorRole = (typeof CONTRIBUTOR_ROLES)[number];

export const TRACK_LIMITS = { title: 500, contributors: 50, contributorName: 200, trackNumber: 999 } as const;

export class ContributorDto {
  @ApiProperty({ maxLength: TRACK_LIMITS.contributorName, example: 'Bill Evans' })
  @IsString()
  @MaxLength(TRACK_LIMITS.contributorName)
  @IsSingleLineText()
  name: string;

  @ApiProperty({ enum: CONTRIBUTOR_ROLES })
  @IsIn(CONTRIBUTOR_ROLES)
  role: ContributorRole;
}

/** POST /v1/releases/:id/tracks (API guide: Releases and their lifecycle). No defaults here: UpdateTrackDto derives from it. */
export class CreateTrackDto {
  @ApiProperty({ minLength: 1, maxLength: TRACK_LIMITS.title, example: 'So What' })
  @IsString()
  @MaxLength(TRACK_LIMITS.title)
  @IsSingleLineText()
  title: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'US-RC1-76-07839', description: 'CC-XXX-YY-NNNNN, hyphens optional; stored and returned without them. Unique within the organization.' })
  @IsOptional()
  @IsIsrc()
  isrc?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'T-034.524.680-1', description: 'T-DDD.DDD.DDD-C or T0345246801; returned in the dotted form.' })
  @IsOptional()
  @IsIswc()
  iswc?: string | null;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: TRACK_LIMITS.trackNumber, description: 'Position on the release, unique within it; the next free number when omitted.' })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(TRACK_LIMITS.trackNumber)
  trackNumber?: number;

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptionalNotNull()
  @IsBoolean()
  explicit?: boolean;

  @ApiPropertyOptional({ type: [ContributorDto], maxItems: TRACK_LIMITS.contributors, description: 'Credits in display order; on PATCH the list replaces the previous one.' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(TRACK_LIMITS.contributors)
  @ValidateNested({ each: true })
  @Type(() => ContributorDto)
  contributors?: ContributorDto[];
}
