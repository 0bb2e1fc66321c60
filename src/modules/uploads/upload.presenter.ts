import { ApiProperty } from '@nestjs/swagger';
import type { Upload } from '../../generated/prisma/client';
import { CONTAINERS, DISTRIBUTION_RULES, UPLOAD_STATUSES, type Container, type UploadStatus } from './distribution-rules';

export class UploadFormatView {
  @ApiProperty({ enum: CONTAINERS }) container: Container;
  @ApiProperty({ example: 'PCM', description: 'PCM, PCM float, FLAC, or the MPEG layer such as "MPEG-1 Layer III".' }) codec: string;
  @ApiProperty({ example: 44100 }) sampleRate: number;
  @ApiProperty({ type: Number, nullable: true, example: 24, description: 'Null for lossy codecs, which have no bit depth.' }) bitsPerSample: number | null;
  @ApiProperty({ example: 2 }) channels: number;
  @ApiProperty({ example: 215000 }) durationMs: number;
}

export class UploadView {
  @ApiProperty({ example: 'upl_01JF3Z…' }) id: string;
  @ApiProperty({ example: 'So What.wav', description: "The client's filename, sanitized; only ever used for display and downloads." }) filename: string;
  @ApiProperty({ description: 'Bytes.' }) size: number;
  @ApiProperty({ description: 'SHA-256 of the file, lowercase hex.' }) sha256: string;
  @ApiProperty({ enum: ['audio/wav', 'audio/aiff', 'audio/flac', 'audio/mpeg'], description: 'Decided from the bytes.' }) mimeType: string;
  @ApiProperty({ type: UploadFormatView }) format: UploadFormatView;
  @ApiProperty({ enum: UPLOAD_STATUSES, description: 'accepted: meets the distribution rules and can be attached to a track.' }) status: UploadStatus;
  @ApiProperty({
    type: [String],
    enum: Object.keys(DISTRIBUTION_RULES),
    description: `Every distribution rule the audio breaks: ${Object.entries(DISTRIBUTION_RULES)
      .map(([code, rule]) => `"${code}" (${rule})`)
      .join('; ')}.`,
  })
  problems: string[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The track whose audio this upload is (PUT /v1/releases/:id/tracks/:trackId/audio); until it is attached, the track named in the upload form, if any.',
  })
  trackId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class UploadPageView {
  @ApiProperty({ type: [UploadView] }) data: UploadView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class DownloadUrlView {
  @ApiProperty({ description: 'GET it (no credentials) within its lifetime; it reaches this one object only.' }) url: string;
  @ApiProperty({ format: 'date-time', description: 'When the URL stops working (at most 5 minutes ahead).' }) expiresAt: string;
}

export function presentUpload(row: Upload & { attachedTo?: { id: string } | null }): UploadView {
  return {
    id: row.id,
    filename: row.filename,
    size: Number(row.size),
    sha256: row.sha256,
    mimeType: row.mimeType,
    format: {
      container: row.container as Container,
      codec: row.codec,
      sampleRate: row.sampleRate,
      bitsPerSample: row.bitsPerSample,
      channels: row.channels,
      durationMs: row.durationMs,
    },
    status: row.status as UploadStatus,
    problems: row.problems,
    // An upload is the audio of at most one track: that one, once attached.
    trackId: row.attachedTo?.id ?? row.trackId,
    createdAt: row.createdAt.toISOString(),
  };
}
