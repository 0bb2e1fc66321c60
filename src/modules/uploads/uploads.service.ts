import { timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import {
  BadRequest,
  Conflict,
  DomainError,
  NotFound,
  problemType,
  Unprocessable,
  UnsupportedMediaType,
} from '../../platform/errors/domain-errors';
import { looksLikeId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { RequestTransaction } from '../../platform/request-transaction/request-transaction';
import type { AudioInspection } from './audio-inspection';
import { parseContentDigest, WANT_CONTENT_DIGEST } from './content-digest';
import { distributionProblems, uploadStatusFor } from './distribution-rules';
import type { ListUploadsQuery } from './dto/list-uploads.query';
import { discardQuietly, type ReceivedFile } from './streaming-upload-engine';
import { StoredObjectDeletions } from './stored-object-deletions';
import { presentUpload, UploadView } from './upload.presenter';
import { attachmentDisposition, downloadFilename, sanitizeUploadFilename } from './upload-filename';
import { UploadsRepository } from './uploads.repository';
import { UPLOAD_STORAGE, type ByteRange, type UploadStorage } from './storage/upload-storage';

export interface NewUploadRequest {
  /** Undefined when the form had no `file` part. */
  file: ReceivedFile | undefined;
  trackId?: string;
  /** The raw Content-Digest field, if sent. */
  contentDigest?: string | string[];
}

type ReceivedAudio = Extract<AudioInspection, { kind: 'audio' }>;

/**
 * Upload rules (API guide: Uploads and the distribution rules). A received file — already staged in storage,
 * hashed and inspected while it streamed (streaming-upload-engine.ts) — is
 * checked: emptiness, digest, type from the bytes, header. Only then is the
 * staged object committed (the local file renamed into place, the multipart
 * upload completed: I/O that never runs while a transaction is held) and the
 * request's transaction opened (RequestTransaction.commit): the
 * Idempotency-Key claim — fingerprinted by the form fields and the file's
 * SHA-256 (API guide: Idempotency) — the trackId check, the row, its outbox event, the
 * stored response and the audit event commit together. A refused file is
 * discarded before it ever becomes an object; a transaction that does not
 * commit (an unknown trackId, a replay, a reused key) deletes the object it
 * was given, so a failed upload leaves nothing behind.
 */
@Injectable()
export class UploadsService {
  constructor(
    private readonly db: Db,
    private readonly uploads: UploadsRepository,
    private readonly outbox: OutboxWriter,
    private readonly requests: RequestTransaction,
    private readonly deletions: StoredObjectDeletions,
    @Inject(UPLOAD_STORAGE) private readonly storage: UploadStorage,
  ) {}

  async create(orgId: string, request: NewUploadRequest): Promise<UploadView> {
    const { file } = request;
    if (!file) {
      throw new BadRequest('Send the audio as a multipart/form-data part named "file".', [{ field: 'file', message: 'file is required' }]);
    }
    try {
      const audio = this.checkReceived(file, this.expectedDigest(request.contentDigest));
      const trackId = request.trackId ?? null;
      const id = file.uploadId;
      // API guide: Idempotency: for uploads, the fingerprint covers the form fields and the file's SHA-256.
      const fingerprint = { body: { fields: trackId === null ? {} : { trackId }, sha256: file.sha256 } };
      await file.staged.commit();
      return await this.requests.commit(
        async () => {
          if (trackId !== null && !(await this.uploads.trackExistsForOrg(orgId, trackId))) {
            throw new Unprocessable('The form names a track that does not exist.', [{ field: 'trackId', message: 'trackId must be a track of your organization' }]);
          }
          return this.record(orgId, id, file, audio, trackId);
        },
        { fingerprint, onRollback: () => this.removeStored(id) },
      );
    } finally {
      // Committed on success (then this does nothing); discarded otherwise.
      await discardQuietly(file.staged, file.uploadId);
    }
  }

  /** The checks of API guide: Uploads and the distribution rules on what the engine measured, in order: emptiness, Content-Digest, type from the bytes, header. */
  private checkReceived(file: ReceivedFile, expectedDigest: Buffer | undefined): ReceivedAudio {
    if (file.size === 0) {
      throw new Unprocessable('The file is empty.', [{ field: 'file', message: 'file has no bytes' }], { type: problemType('empty-file') });
    }
    if (expectedDigest && !timingSafeEqual(expectedDigest, Buffer.from(file.sha256, 'hex'))) {
      throw new Unprocessable('The file does not match its Content-Digest; it was changed or cut in transit, and nothing was kept.', [], {
        type: problemType('digest-mismatch'),
      });
    }
    const { inspection } = file;
    if (inspection.kind === 'unsupported') throw new UnsupportedMediaType(inspection.detail);
    if (inspection.kind === 'corrupt') {
      throw new Unprocessable(inspection.detail, [{ field: 'file', message: 'the audio header is corrupt' }], { type: problemType('corrupt-audio') });
    }
    return inspection;
  }

  /** Writes the row of the stored object `id` and its outbox event, in the request's transaction. */
  private async record(orgId: string, id: string, file: ReceivedFile, audio: ReceivedAudio, trackId: string | null): Promise<UploadView> {
    const { format, mimeType } = audio;
    const problems = distributionProblems(format);
    const status = uploadStatusFor(problems);
    const row = await this.uploads.create(orgId, {
      id,
      filename: sanitizeUploadFilename(file.originalname),
      size: file.size,
      sha256: file.sha256,
      mimeType,
      container: format.container,
      codec: format.codec,
      sampleRate: format.sampleRate,
      bitsPerSample: format.bitsPerSample,
      channels: format.channels,
      durationMs: format.durationMs,
      status,
      problems,
      trackId,
    });
    const view = presentUpload(row);
    await this.outbox.record(orgId, status === 'accepted' ? 'upload.accepted' : 'upload.rejected', {
      // A view is plain JSON data.
      upload: view as unknown as Prisma.InputJsonObject,
    });
    return view;
  }

  async list(orgId: string, query: ListUploadsQuery): Promise<Page<UploadView>> {
    const afterId = decodeCursor(query.cursor);
    const rows = await this.uploads.findPageForOrg(orgId, { limit: query.limit, afterId, status: query.status });
    return toPage(rows, query.limit, presentUpload);
  }

  async get(orgId: string, id: string): Promise<UploadView> {
    const row = looksLikeId('upl', id) ? await this.uploads.findOneForOrg(orgId, id) : null;
    if (!row) throw new NotFound('upload');
    return presentUpload(row);
  }

  /** The stored bytes of an upload of this organization (`range` already checked against its size). */
  async openContent(orgId: string, id: string, range?: ByteRange): Promise<Readable> {
    const upload = await this.get(orgId, id);
    return this.storage.get(upload.id, range);
  }

  /** Deletes an upload no track uses (409 otherwise), then its bytes. */
  async delete(orgId: string, id: string): Promise<void> {
    if (!looksLikeId('upl', id)) throw new NotFound('upload');
    await this.db.withTransaction(async () => {
      if (!(await this.uploads.lockForOrg(orgId, id))) throw new NotFound('upload');
      const trackIds = await this.uploads.trackIdsUsing(orgId, id);
      if (trackIds.length > 0) {
        throw new Conflict(`The upload is the audio of ${trackIds.map((t) => `track ${t}`).join(', ')}; attach other audio to those tracks first.`, {
          extensions: { trackIds },
        });
      }
      await this.uploads.deleteForOrg(orgId, id);
      // Committed with the row's deletion: if the delete below fails (or the
      // process dies first), the timer of StoredObjectDeletions retries it.
      await this.deletions.schedule(id);
    });
    // Only once the row is gone: a row never points at deleted bytes.
    await this.requests.afterCommit(async () => {
      await this.deletions.attempt(id);
    });
  }

  /**
   * A short-lived URL that fetches the upload's bytes straight from the
   * bucket, scoped to that one object (S3 storage only: 409 on the local disk).
   */
  async downloadUrl(orgId: string, id: string, ttlSeconds: number): Promise<{ url: string; expiresAt: string }> {
    const upload = await this.get(orgId, id);
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const url = await this.storage.presignedDownloadUrl(upload.id, {
      expiresInSeconds: ttlSeconds,
      contentType: upload.mimeType,
      contentDisposition: attachmentDisposition(downloadFilename(upload.filename, upload.mimeType)),
    });
    if (url === undefined) {
      throw new Conflict(
        'This server keeps uploads on its local disk, which cannot sign download URLs; fetch GET /v1/uploads/{id}/content instead (presigned URLs need UPLOAD_STORAGE=s3).',
        { type: problemType('download-url-unavailable') },
      );
    }
    return { url, expiresAt: expiresAt.toISOString() };
  }

  /**
   * For attaching to track `trackId` (API guide: Releases and their lifecycle): the upload must be one of
   * this organization's (404 otherwise, as for any other resource of another
   * organization), accepted (422 naming its problems otherwise) and not the
   * audio of another track (409: a master belongs to one recording). Call it
   * inside the transaction that attaches: the upload stays locked, so neither
   * a delete nor a second attach can slip in before the track points at it.
   */
  async assertAttachable(orgId: string, uploadId: string, trackId: string): Promise<UploadView> {
    const row = looksLikeId('upl', uploadId) ? await this.uploads.findOneForOrgLocked(orgId, uploadId) : null;
    if (!row) throw new NotFound('upload');
    const upload = presentUpload(row);
    if (upload.status !== 'accepted') {
      throw new Unprocessable(
        `Upload ${upload.id} was rejected (${upload.problems.join(', ')}); only an accepted upload can be a track's audio.`,
        [{ field: 'uploadId', message: 'uploadId must name an accepted upload' }],
        { type: problemType('upload-not-accepted'), extensions: { problems: upload.problems } },
      );
    }
    const others = (await this.uploads.trackIdsUsing(orgId, uploadId)).filter((id) => id !== trackId);
    if (others.length > 0) {
      throw new Conflict(`Upload ${upload.id} is already the audio of track ${others.join(', ')}; a master belongs to one recording. Detach it there first, or upload the file again for this track.`, {
        type: problemType('upload-already-attached'),
        extensions: { trackIds: others },
      });
    }
    return upload;
  }

  private expectedDigest(field: string | string[] | undefined): Buffer | undefined {
    const parsed = parseContentDigest(field);
    switch (parsed.kind) {
      case 'absent':
        return undefined;
      case 'sha-256':
        return parsed.digest;
      case 'malformed':
        throw new BadRequest(`Content-Digest is malformed: ${parsed.reason}.`, [
          { field: 'Content-Digest', message: 'Content-Digest must look like sha-256=:<base64 of the SHA-256 of the file>:' },
        ]);
      case 'unsupported':
        throw new DomainError(400, 'Content-Digest carries no sha-256 digest, the only algorithm this server verifies.', {
          headers: { 'Want-Content-Digest': WANT_CONTENT_DIGEST },
          errors: [{ field: 'Content-Digest', message: 'Content-Digest must include sha-256' }],
        });
    }
  }

  /** Deletes an object whose row never committed (a failure is scheduled for retry by StoredObjectDeletions). */
  private async removeStored(id: string): Promise<void> {
    await this.deletions.attempt(id);
  }
}
