import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';

export class AuditEventQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'release.create' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z_]+\.[a-z_]+$/, { message: 'action must look like resource.verb, e.g. release.create' })
  action?: string;

  @ApiPropertyOptional({ description: 'A key id (key_…) or partner id.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actorId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resourceId?: string;

  @ApiPropertyOptional({ enum: ['success', 'denied', 'error'] })
  @IsOptional()
  @IsIn(['success', 'denied', 'error'])
  outcome?: 'success' | 'denied' | 'error';

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive lower bound on occurredAt.' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive upper bound on occurredAt.' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}
