import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsISO8601, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsSingleLineText } from '../../../platform/http/field-validators';
import type { ReleaseStatus } from '../../releases/release-lifecycle';

/** What each callback type moves the release to (API guide: Partner callbacks). */
export const PARTNER_CALLBACK_TARGETS = {
  'release.live': 'live',
  'release.rejected': 'rejected',
  'release.taken_down': 'taken_down',
} as const satisfies Record<string, ReleaseStatus>;

export type PartnerCallbackType = keyof typeof PARTNER_CALLBACK_TARGETS;
export const PARTNER_CALLBACK_TYPES = Object.keys(PARTNER_CALLBACK_TARGETS) as PartnerCallbackType[];

export class PartnerCallbackData {
  @ApiProperty({ example: 'rel_01JF3Z…' })
  @IsString()
  @Matches(/^rel_[0-9A-Z]{26}$/, { message: 'releaseId must be a release id (rel_…)' })
  releaseId: string;

  @ApiPropertyOptional({ maxLength: 1000, example: 'Artwork resolution below 3000×3000.' })
  @IsOptional()
  @IsSingleLineText()
  @MaxLength(1000)
  reason?: string;
}

export class PartnerCallbackDto {
  @ApiProperty({ enum: PARTNER_CALLBACK_TYPES })
  @IsIn(PARTNER_CALLBACK_TYPES)
  type: PartnerCallbackType;

  /**
   * The Standard Webhooks payload shape is `{ type, timestamp, data }`, and its
   * libraries fill `timestamp` in; the signed webhook-timestamp header is what
   * freshness is judged by, so this one is only checked for shape.
   */
  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-05T12:00:00.000Z', description: 'When the event happened (Standard Webhooks payload field); informational.' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  timestamp?: string;

  @ApiProperty({ type: PartnerCallbackData })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => PartnerCallbackData)
  data: PartnerCallbackData;
}
