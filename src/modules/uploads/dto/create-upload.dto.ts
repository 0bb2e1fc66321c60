import { ApiPropertyOptional } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { IsOptional, Matches } from 'class-validator';
import { idPattern } from '../../../platform/ids';

/**
 * The text parts of the upload form; any other part is refused (400). The
 * `file` part is multer's (see UPLOAD_FORM_SCHEMA for the whole form).
 */
export class CreateUploadDto {
  @ApiPropertyOptional({ example: 'trk_01JF3Z…', description: 'The track this audio is for (recorded; attach it with PUT /v1/releases/:id/tracks/:trackId/audio).' })
  @IsOptional()
  @Matches(idPattern('trk'), { message: 'trackId must be a track id (trk_…)' })
  trackId?: string;
}

/** OpenAPI description of the multipart form. */
export const UPLOAD_FORM_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'The audio: WAV (PCM), FLAC, AIFF or MP3; the type is decided from the bytes.' },
    trackId: { type: 'string', description: 'Optional: the track (trk_…) this audio is for.' },
  },
};
