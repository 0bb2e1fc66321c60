import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsCalendarDate } from '../calendar-date';
import { IsGtin, IsLanguageTag, IsTerritoryCode } from '../identifiers/identifier-validators';
import { IsOptionalNotNull, IsSingleLineText } from '../../../platform/http/field-validators';

export const RELEASE_LIMITS = {
  title: 500,
  artists: 50,
  artistName: 200,
  label: 200,
  genre: 100,
  line: 300,
  // ISO 3166-1 has 249 alpha-2 codes, plus "WW".
  territories: 250,
} as const;

/**
 * POST /v1/releases (API guide: Releases and their lifecycle). Optional fields also take `null`, which
 * leaves them unset; there are no defaults in this class on purpose, since
 * UpdateReleaseDto derives from it and must not fill absent fields in.
 */
export class CreateReleaseDto {
  @ApiProperty({ minLength: 1, maxLength: RELEASE_LIMITS.title, example: 'Kind of Blue' })
  @IsString()
  @MaxLength(RELEASE_LIMITS.title)
  @IsSingleLineText()
  title: string;

  @ApiProperty({ type: [String], minItems: 1, maxItems: RELEASE_LIMITS.artists, example: ['Miles Davis'], description: 'Display artists, in credit order.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(RELEASE_LIMITS.artists)
  @IsString({ each: true })
  @MaxLength(RELEASE_LIMITS.artistName, { each: true })
  @IsSingleLineText({ each: true })
  artists: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RELEASE_LIMITS.label, example: 'Columbia' })
  @IsOptional()
  @IsString()
  @MaxLength(RELEASE_LIMITS.label)
  @IsSingleLineText()
  label?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, pattern: '^(\\d{12}|\\d{13})$', example: '036000291452', description: 'UPC-A (12 digits) or EAN-13 (13 digits) with a valid GS1 check digit.' })
  @IsOptional()
  @IsGtin()
  upc?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date', example: '2026-03-20', description: 'Calendar date, YYYY-MM-DD.' })
  @IsOptional()
  @IsCalendarDate()
  releaseDate?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date', example: '1959-08-17', description: 'For reissues: the first release date, YYYY-MM-DD, not after releaseDate.' })
  @IsOptional()
  @IsCalendarDate()
  originalReleaseDate?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RELEASE_LIMITS.genre, example: 'Jazz' })
  @IsOptional()
  @IsString()
  @MaxLength(RELEASE_LIMITS.genre)
  @IsSingleLineText()
  genre?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 35, example: 'en', description: 'BCP 47 language tag; stored in canonical case (en-us → en-US).' })
  @IsOptional()
  @IsLanguageTag()
  language?: string | null;

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptionalNotNull()
  @IsBoolean()
  explicit?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RELEASE_LIMITS.line, example: '© 1959 Columbia Records' })
  @IsOptional()
  @IsString()
  @MaxLength(RELEASE_LIMITS.line)
  @IsSingleLineText()
  copyrightLine?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RELEASE_LIMITS.line, example: '℗ 1959 Columbia Records' })
  @IsOptional()
  @IsString()
  @MaxLength(RELEASE_LIMITS.line)
  @IsSingleLineText()
  phonographicLine?: string | null;

  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: RELEASE_LIMITS.territories,
    example: ['WW'],
    description: 'ISO 3166-1 alpha-2 codes, or "WW" for worldwide (the default).',
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(RELEASE_LIMITS.territories)
  @ArrayUnique()
  @IsTerritoryCode({ each: true })
  territories?: string[];
}
