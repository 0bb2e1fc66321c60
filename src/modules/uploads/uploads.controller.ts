import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { Principal, type AuthPrincipal } from '../../platform/auth/principal';
import { Scopes } from '../../platform/auth/scopes.decorator';
import type { Page } from '../../platform/http/pagination';
import { DomainError, problemType } from '../../platform/errors/domain-errors';
import { offHeapGarbageMeter } from '../../platform/memory/off-heap-garbage';
import { PreparesOutsideTransaction } from '../../platform/request-transaction/prepares-outside-transaction.decorator';
import { UploadThrottle } from '../../platform/throttling/throttle.decorators';
import { contentRange, selectByteRange, unsatisfiedContentRange } from './byte-range';
import { CreateUploadDto, UPLOAD_FORM_SCHEMA } from './dto/create-upload.dto';
import { ListUploadsQuery } from './dto/list-uploads.query';
import type { ReceivedFile } from './streaming-upload-engine';
import { UploadErrorsInterceptor } from './upload-errors.interceptor';
import { DownloadUrlView, UploadPageView, UploadView } from './upload.presenter';
import { attachmentDisposition, downloadFilename } from './upload-filename';
import { UploadsService } from './uploads.service';
import { contentDigestIsOfSignedBody } from '../../platform/auth/signatures/streamed-body-digest';

@ApiTags('uploads')
@ApiNotFoundResponse({ description: 'No such upload in your organization.' })
@Controller('v1/uploads')
export class UploadsController {
  private readonly logger = new Logger(UploadsController.name);

  constructor(
    private readonly uploads: UploadsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @Scopes('uploads:write')
  @UploadThrottle()
  // No transaction may stay open while a client sends gigabytes: the service
  // opens the request's one once the file has been received and checked.
  @PreparesOutsideTransaction()
  // Multer (through FileInterceptor, with the engine and limits of
  // UploadsModule) streams the `file` part to a temporary file first.
  @UseInterceptors(UploadErrorsInterceptor, FileInterceptor('file'))
  @ApiOperation({ summary: 'Upload audio (streamed; the type, format and distribution status are decided from the bytes).' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_FORM_SCHEMA })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Replays the first response for the same form fields and file (API guide: Idempotency).' })
  @ApiHeader({ name: 'Content-Digest', required: false, description: 'RFC 9530 sha-256 of the file, e.g. sha-256=:<base64>:; a mismatch is 422 and nothing is kept. On a signed request (API guide: Signed requests) it covers the whole multipart body instead; a mismatch is then 401.' })
  @ApiCreatedResponse({ type: UploadView, description: 'Stored, accepted or rejected (with every reason in problems); Location names it.' })
  @ApiBadRequestResponse({ description: 'No file part, a second file, an unknown part, a malformed multipart body or Content-Digest, or an interrupted upload.' })
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than UPLOAD_MAX_BYTES.' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The bytes are not WAV (PCM), FLAC, AIFF or MP3, whatever the name or declared type.' })
  @ApiUnprocessableEntityResponse({ description: 'Empty file, Content-Digest mismatch, corrupt audio header, or an unknown trackId.' })
  async create(
    @Principal() principal: AuthPrincipal,
    @UploadedFile() file: ReceivedFile | undefined,
    @Body() dto: CreateUploadDto,
    @Headers('content-digest') contentDigest: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UploadView> {
    const upload = await this.uploads.create(principal.orgId, {
      file,
      trackId: dto.trackId,
      // A signed request's Content-Digest covers the whole multipart body and was
      // checked against the streamed bytes by the signature guard (API guide: Signed requests);
      // an unsigned one's is the file's own digest (API guide: Uploads and the distribution rules).
      contentDigest: contentDigestIsOfSignedBody(req) ? undefined : contentDigest,
    });
    res.location(`/v1/uploads/${upload.id}`);
    return upload;
  }

  @Get()
  @Scopes('uploads:read')
  @ApiOperation({ summary: 'List uploads, newest first (keyset pagination).' })
  @ApiOkResponse({ type: UploadPageView })
  list(@Principal() principal: AuthPrincipal, @Query() query: ListUploadsQuery): Promise<Page<UploadView>> {
    return this.uploads.list(principal.orgId, query);
  }

  @Get(':id')
  @Scopes('uploads:read')
  @ApiOperation({ summary: 'One upload: its format, status and problems.' })
  @ApiOkResponse({ type: UploadView })
  get(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<UploadView> {
    return this.uploads.get(principal.orgId, id);
  }

  @Get(':id/content')
  @Scopes('uploads:read')
  @ApiOperation({ summary: 'The file itself, streamed; a single byte Range is honoured (206).' })
  @ApiProduces('audio/wav', 'audio/aiff', 'audio/flac', 'audio/mpeg')
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. bytes=0-1023; several ranges get the whole file.' })
  @ApiHeader({ name: 'If-Range', required: false, description: 'The ETag (or Last-Modified) of the copy being resumed.' })
  @ApiOkResponse({ description: 'The whole file, as an attachment, with the Content-Type decided at upload.' })
  @ApiResponse({ status: 206, description: 'The requested range, with Content-Range.' })
  @ApiResponse({ status: 416, description: 'The range starts past the end, or ends before it starts (bytes=10-5); Content-Range gives the size.' })
  async content(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const upload = await this.uploads.get(principal.orgId, id);
    const validators = { etag: `"${upload.sha256}"`, lastModified: new Date(upload.createdAt).toUTCString() };
    const selection = selectByteRange(req.headers.range, upload.size, header(req.headers['if-range']), validators);
    if (selection.kind === 'unsatisfiable') {
      throw new DomainError(416, `The file has ${upload.size} bytes; the requested range starts past its end or ends before it starts.`, {
        type: problemType('range-not-satisfiable'),
        title: 'Range Not Satisfiable',
        headers: { 'Content-Range': unsatisfiedContentRange(upload.size) },
      });
    }
    const range = selection.kind === 'partial' ? selection.range : undefined;
    const stream = await this.uploads.openContent(principal.orgId, upload.id, range);
    // A client that hung up while the upload was looked up is gone before the
    // pipe below exists: the file must be closed now, not when GC finds it.
    if (closeWithResponse(res, stream)) return;

    res.status(range ? 206 : 200);
    res.set({
      // Decided from the bytes at upload; nosniff keeps browsers from second-guessing it.
      'Content-Type': upload.mimeType,
      'X-Content-Type-Options': 'nosniff',
      // Named with the extension of the detected type, whatever the client called it.
      'Content-Disposition': attachmentDisposition(downloadFilename(upload.filename, upload.mimeType)),
      'Content-Length': String(range ? range.end - range.start + 1 : upload.size),
      'Accept-Ranges': 'bytes',
      ETag: validators.etag,
      'Last-Modified': validators.lastModified,
      'Cache-Control': 'private, no-cache',
      ...(range ? { 'Content-Range': contentRange(range, upload.size) } : {}),
    });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    // Once the headers are out, a failure can only cut the body short: the
    // client sees fewer bytes than Content-Length promised.
    await pipeline(stream, offHeapGarbageMeter(), res).catch((error: unknown) => {
      if (!res.writableFinished && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.warn({ err: error, uploadId: upload.id }, 'upload content stream failed');
      }
    });
  }

  @Get(':id/download-url')
  @Scopes('uploads:read')
  @ApiOperation({ summary: 'A presigned URL that fetches the file straight from the bucket, valid for at most 5 minutes (S3 storage only).' })
  @ApiOkResponse({ type: DownloadUrlView })
  @ApiConflictResponse({ description: 'The server keeps uploads on its local disk, which cannot sign URLs; use /content.' })
  downloadUrl(@Principal() principal: AuthPrincipal, @Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<DownloadUrlView> {
    // The URL is a bearer credential for the object until it expires: not for caches.
    res.set('Cache-Control', 'no-store');
    return this.uploads.downloadUrl(principal.orgId, id, this.config.s3?.presignTtlSeconds ?? 300);
  }

  @Delete(':id')
  @Scopes('uploads:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an upload and its file, unless a track uses it.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiConflictResponse({ description: 'A track uses the upload as its audio.' })
  async delete(@Principal() principal: AuthPrincipal, @Param('id') id: string): Promise<void> {
    await this.uploads.delete(principal.orgId, id);
  }
}

/**
 * Destroys `stream` (closing its file) once the response closes, however it
 * ends; true when the response is already closed and the stream destroyed.
 */
function closeWithResponse(res: Response, stream: Readable): boolean {
  if (res.destroyed || res.socket === null || res.socket.destroyed) {
    stream.destroy();
    return true;
  }
  res.once('close', () => stream.destroy());
  return false;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
