import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';

export const DEFAULT_EXPIRY_NOTICE_DAYS = 14;
export const MAX_POLICY_DAYS = 3650;

/** PUT replaces the policy: an omitted field takes its default. */
export class KeyPolicyDto {
  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: MAX_POLICY_DAYS, default: null, description: 'New keys expire within this many days (defaulted to it when expiresAt is omitted); null = no limit.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_POLICY_DAYS)
  maxKeyAgeDays?: number | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 365, default: DEFAULT_EXPIRY_NOTICE_DAYS, description: 'api_key.expiring goes out this many days before a key expires.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  expiryNoticeDays?: number;
}

export class KeyPolicyView {
  @ApiProperty({ type: Number, nullable: true }) maxKeyAgeDays: number | null;
  @ApiProperty() expiryNoticeDays: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while the defaults apply.' }) updatedAt: string | null;
}

export class ListApiKeysQuery extends PageQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_POLICY_DAYS, description: 'Only live keys that expire within this many days.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_POLICY_DAYS)
  expiringWithinDays?: number;
}
