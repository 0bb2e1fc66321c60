import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class AttachAudioDto {
  @ApiProperty({ example: 'upl_01JF3Z…', description: 'An accepted upload of your organization.' })
  @IsString()
  @MaxLength(64)
  uploadId: string;
}
