import { timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
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
} from '../../platform/http/problem-details';
import { parseIdempotencyKey, requestFingerprint } from '../../platform/idempotency/idempotency-key';
import { IdempotencyScope, IdempotencyStore, StoredResponse } from '../../platform/idempotency/idempotency-store';
import { looksLikeId, newId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { AudioInspection, inspectAudio } from './audio-inspection';
import { parseContentDigest, WANT_CONTENT_DIGEST } from './content-digest';
import { distributionProblems, uploadStatusFor } from './distribution-rules';
import type { ListUploadsQuery } from './dto/list-uploads.query';
import type { ReceivedFile } from './hashing-temp-file-engine';
import { presentUpload, UploadView } from './upload.presenter';
import { sanitizeUploadFilename } from './upload-filename';
import { UploadsRepository } from './uploads.repository';
import { UPLOAD_STORAGE, type ByteRange, type UploadStorage } from './storage/upload-storage';

export interface NewUploadRequest {
  /** Undefined when the form had no `file` part. */
  file: ReceivedFile | undefined;
  trackId?: string;
  /** The raw Content-Digest field, if sent. */
  contentDigest?: string | string[];
  /** The raw Idempotency-Key field, if sent, with what scopes and fingerprints it (API.md §7). */
  idempotency?: { key: string | string[] | undefined; credentialId: string; path: string };
}

type ReceivedAudio = Extract<AudioInspection, { kind: 'audio' }>;

export type UploadOutcome = { kind: 'created'; upload: UploadView } | { kind: 'replayed'; response: StoredResponse };

/**
 * Upload rules (API.md §4). A received file is checked — digest, emptiness,
 * type from the bytes, header, distribution rules — and only then moved into
 * storage and recorded: row, outbox event and (with an Idempotency-Key) the
 * replayable response in one transaction. The route runs outside the
 * request-wide transaction, so this service handles Idempotency-Key itself. Every path
 * out of `create` removes the temporary file; a failure after the move
 * removes the stored object too, so a failed upload leaves nothing behind.
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger(UploadsService.name);

  constructor(
    private readonly db: Db,
    private readonly uploads: UploadsRepository,
    private readonly outbox: OutboxWriter,
    private readonly idempotencyStore: IdempotencyStore,
    @Inject(UPLOAD_STORAGE) private readonly storage: UploadStorage,
  ) {}

  async create(orgId: string, request: NewUploadRequest): Promise<UploadOutcome> {
    const { file } = request;
    if (!file) {
      throw new BadRequest('Send the audio as a multipart/form-data part named "file".', [{ field: 'file', message: 'file is required' }]);
    }
    let claimed: IdempotencyScope | undefined;
    try {
      const idempotency = this.idempotencyScope(orgId, request);
      const expectedDigest = this.expectedDigest(request.contentDigest);
      if (idempotency) {
        // Claimed once the file's hash is known (it is part of the fingerprint),
        // before any check, so a concurrent duplicate gets 409.
        const claim = await this.idempotencyStore.claim(idempotency.scope, idempotency.fingerprint);
        if (claim.kind === 'replay') return { kind: 'replayed', response: claim.response };
        claimed = idempotency.scope;
      }
      const audio = await this.checkReceived(orgId, file, expectedDigest, request.trackId);
      return { kind: 'created', upload: await this.store(orgId, file, audio, request.trackId ?? null, claimed) };
    } catch (error) {
      // As for every other route: a failed attempt frees its key for a retry.
      if (claimed) await this.idempotencyStore.release(claimed).catch(() => undefined);
      throw error;
    } finally {
      // Moved into storage on success, so usually already gone.
      await rm(file.path, { force: true });
    }
  }

  /** The checks of API.md §4, in order: emptiness, Content-Digest, type from the bytes, header; then the form's trackId. */
  private async checkReceived(orgId: string, file: ReceivedFile, expectedDigest: Buffer | undefined, trackId: string | undefined): Promise<ReceivedAudio> {
    if (file.size === 0) {
      throw new Unprocessable('The file is empty.', [{ field: 'file', message: 'file has no bytes' }], { type: problemType('empty-file') });
    }
    if (expectedDigest && !timingSafeEqual(expectedDigest, Buffer.from(file.sha256, 'hex'))) {
      throw new Unprocessable('The file does not match its Content-Digest; it was changed or cut in transit, and nothing was kept.', [], {
        type: problemType('digest-mismatch'),
      });
    }
    const inspection = await inspectAudio(file.path);
    if (inspection.kind === 'unsupported') throw new UnsupportedMediaType(inspection.detail);
    if (inspection.kind === 'corrupt') {
      throw new Unprocessable(inspection.detail, [{ field: 'file', message: 'the audio header is corrupt' }], { type: problemType('corrupt-audio') });
    }
    if (trackId !== undefined && !(await this.uploads.trackExistsForOrg(orgId, trackId))) {
      throw new Unprocessable('The form names a track that does not exist.', [{ field: 'trackId', message: 'trackId must be a track of your organization' }]);
    }
    return inspection;
  }

  /**
   * Moves the checked file into storage under a new id, then writes the row,
   * its outbox event and (with an Idempotency-Key) the replayable response in
   * one transaction; if that fails, the stored object is removed again.
   */
  private async store(orgId: string, file: ReceivedFile, audio: ReceivedAudio, trackId: string | null, claimed: IdempotencyScope | undefined): Promise<UploadView> {
    const { format, mimeType } = audio;
    const problems = distributionProblems(format);
    const status = uploadStatusFor(problems);
    const id = newId('upl');
    await this.storage.put(id, { kind: 'file', path: file.path });
    try {
      return await this.db.withTransaction(async () => {
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
        if (claimed) await this.idempotencyStore.complete(claimed, createdResponse(view));
        return view;
      });
    } catch (error) {
      await this.removeStored(id);
      throw error;
    }
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
    });
    // The row is gone, so nothing can reach the bytes any more; a failure
    // here leaves an orphaned object, never a row without a file.
    await this.removeStored(id);
  }

  /**
   * For attaching to a track (API.md §3): the upload must be one of this
   * organization's (404 otherwise, as for any other resource of another
   * organization) and accepted (422 naming its problems otherwise). Call it
   * inside the transaction that attaches: the upload stays share-locked, so
   * it cannot be deleted before the track points at it.
   */
  async assertAttachable(orgId: string, uploadId: string): Promise<UploadView> {
    const row = looksLikeId('upl', uploadId) ? await this.uploads.findOneForOrgShared(orgId, uploadId) : null;
    if (!row) throw new NotFound('upload');
    const upload = presentUpload(row);
    if (upload.status !== 'accepted') {
      throw new Unprocessable(
        `Upload ${upload.id} was rejected (${upload.problems.join(', ')}); only an accepted upload can be a track's audio.`,
        [{ field: 'uploadId', message: 'uploadId must name an accepted upload' }],
        { type: problemType('upload-not-accepted'), extensions: { problems: upload.problems } },
      );
    }
    return upload;
  }

  private idempotencyScope(orgId: string, request: NewUploadRequest): { scope: IdempotencyScope; fingerprint: string } | undefined {
    const parsed = request.idempotency ? parseIdempotencyKey(request.idempotency.key) : undefined;
    if (!parsed || !request.idempotency || !request.file) return undefined;
    if (!parsed.ok) throw new BadRequest(parsed.reason, [{ field: 'Idempotency-Key', message: parsed.reason }]);
    // API.md §7: for uploads, the fingerprint covers the form fields and the file's SHA-256.
    const body = { fields: request.trackId === undefined ? {} : { trackId: request.trackId }, sha256: request.file.sha256 };
    return {
      scope: { orgId, credentialId: request.idempotency.credentialId, key: parsed.key },
      fingerprint: requestFingerprint('POST', request.idempotency.path, body),
    };
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

  private async removeStored(id: string): Promise<void> {
    await this.storage.delete(id).catch((error: unknown) => {
      this.logger.error({ err: error, uploadId: id }, 'could not remove stored upload bytes');
    });
  }
}

/** The 201 a replay repeats (what RequestTransactionInterceptor stores for other routes). */
function createdResponse(view: UploadView): StoredResponse {
  return {
    status: 201,
    headers: { location: `/v1/uploads/${view.id}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(view),
  };
}
