import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import { RELEASE_STATUSES, type ReleaseStatus } from '../release-lifecycle';

export class ListReleasesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RELEASE_STATUSES, description: 'Only releases in this status.' })
  @IsOptional()
  @IsIn(RELEASE_STATUSES)
  status?: ReleaseStatus;
}
