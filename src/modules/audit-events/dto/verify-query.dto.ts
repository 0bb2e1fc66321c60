import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class VerifyQuery {
  @ApiPropertyOptional({
    description:
      'The `signature` of a checkpoint issued earlier (GET /v1/audit-events/checkpoint, or a previous verify). The chain must still hold that position: deleted newest events or a rewritten chain make the result not ok.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  checkpoint?: string;
}
