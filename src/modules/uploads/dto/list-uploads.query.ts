import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/pagination';
import { UPLOAD_STATUSES, type UploadStatus } from '../distribution-rules';

export class ListUploadsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: UPLOAD_STATUSES, description: 'Only uploads with this status.' })
  @IsOptional()
  @IsIn(UPLOAD_STATUSES)
  status?: UploadStatus;
}
