import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { BACK_OFFICE_TARGETS, RELEASE_STATUSES, type ReleaseStatus } from '../release-lifecycle';
import { IsSingleLineText } from '../../../platform/http/field-validators';

/** POST /v1/releases/:id/status: a back-office transition (API guide: Releases and their lifecycle). */
export class ChangeStatusDto {
  // Any status is accepted here so that `submitted` and no-op moves get the
  // lifecycle's 409 with its explanation, not a bare enum error.
  @ApiProperty({ enum: RELEASE_STATUSES, description: `The target status; legal targets are ${BACK_OFFICE_TARGETS.join(', ')} (as the lifecycle allows).` })
  @IsIn(RELEASE_STATUSES)
  status: ReleaseStatus;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000, example: 'Cover art contains a URL.', description: 'Why, e.g. for a rejection or takedown; shown as statusReason.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @IsSingleLineText()
  reason?: string | null;
}
