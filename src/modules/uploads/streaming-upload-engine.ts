import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { newId } from '../../platform/ids';
import { offHeapGarbage } from '../../platform/memory/off-heap-garbage';
import { AudioInspector, type AudioInspection } from './audio-inspection';
import type { StagedObject, UploadStorage } from './storage/upload-storage';

/** What the engine adds to multer's file: the staged bytes, how many, their SHA-256 and what they are. */
export interface ReceivedFile extends Express.Multer.File {
  /** The id the upload gets, and the key its bytes are staged under. */
  uploadId: string;
  staged: StagedObject;
  size: number;
  /** Lowercase hex SHA-256 of exactly the bytes received. */
  sha256: string;
  /** Decided from the bytes as they streamed (audio-inspection.ts). */
  inspection: AudioInspection;
}

const logger = new Logger('StreamingUploadEngine');

/**
 * A multer StorageEngine that streams the file part straight into
 * UploadStorage as a staged object — a temporary file on the local disk, a
 * multipart upload in a bucket — counting, hashing and inspecting the bytes
 * as they pass, so memory stays flat whatever the size and a bucket-backed
 * server keeps no copy on its own disk. The staged object only becomes an
 * upload once every check has passed (the service commits it). Whatever goes
 * wrong while receiving — the client aborts, the size limit cuts the part,
 * the store fails — the engine discards the staged object before reporting
 * the error to multer.
 */
export class StreamingUploadEngine implements StorageEngine {
  constructor(private readonly storage: UploadStorage) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<ReceivedFile>) => void): void {
    const work = this.receive(req, file);
    inFlight.set(req, work);
    receiving.add(work);
    void work.finally(() => receiving.delete(work)).catch(() => undefined);
    void work.then(
      (info) => callback(null, info),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File & { staged?: StagedObject }, callback: (error: Error | null) => void): void {
    if (!file.staged) return callback(null);
    file.staged.discard().then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async receive(req: Request, file: Express.Multer.File): Promise<Pick<ReceivedFile, 'uploadId' | 'staged' | 'size' | 'sha256' | 'inspection'>> {
    const uploadId = newId('upl');
    const staged = this.storage.stage(uploadId);
    const inspector = new AudioInspector();
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        offHeapGarbage(chunk.length);
        inspector.write(chunk).then(() => done(null, chunk), done);
      },
    });
    // busboy destroys the part's stream when the request fails, but a client
    // that vanishes between two chunks is only seen on the request itself.
    const aborted = new AbortController();
    const onClose = () => {
      if (!req.complete) aborted.abort(new Error('The client closed the connection during the upload.'));
    };
    req.once('close', onClose);
    try {
      await pipeline(file.stream, meter, staged.writable, { signal: aborted.signal });
      // At limits.fileSize busboy stops the part and marks it truncated;
      // multer answers 413 (LIMIT_FILE_SIZE), and the staged bytes go now.
      if ((file.stream as NodeJS.ReadableStream & { truncated?: boolean }).truncated) {
        throw new Error('The file was cut at the size limit.');
      }
      return { uploadId, staged, size, sha256: hash.digest('hex'), inspection: await inspector.result() };
    } catch (error) {
      inspector.abandon();
      await discardQuietly(staged, uploadId);
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }
}

/** Discards a staged object, logging (not throwing) a failure: the caller's own error is what the client must see. */
export async function discardQuietly(staged: StagedObject, uploadId: string): Promise<void> {
  await staged.discard().catch((error: unknown) => logger.error({ err: error, uploadId }, 'could not discard staged upload bytes'));
}

const inFlight = new WeakMap<Request, Promise<unknown>>();
/** Every file being received in this process, for shutdown. */
const receiving = new Set<Promise<unknown>>();

/**
 * Resolves once every file still being received has finished or failed and
 * been cleaned up. Shutdown waits for it, so a stalled upload cut off by the
 * drain deadline still discards its staged bytes before the process exits.
 */
export async function receivingSettled(): Promise<void> {
  await Promise.allSettled([...receiving]);
}

/**
 * Resolves once the engine is done with the request's file, cleanup included.
 * When a part fails, multer reports the error as soon as the part's stream
 * errors, which can be before the engine has discarded the staged bytes; an
 * error response waits for this, so a client never sees its 4xx while a
 * piece of its upload is still stored.
 */
export async function fileSettled(req: Request): Promise<void> {
  await inFlight.get(req)?.catch(() => undefined);
}
