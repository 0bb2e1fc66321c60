import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';

/** What the engine adds to multer's file: where the bytes are, how many, and their SHA-256. */
export interface ReceivedFile extends Express.Multer.File {
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of exactly the bytes written. */
  sha256: string;
}

const FILE_MODE = 0o640;

/**
 * A multer StorageEngine that streams the file part to a temporary file under
 * `<UPLOAD_DIR>/tmp`, counting and hashing the bytes as they pass, so memory
 * stays flat whatever the size (multer's memory storage would hold the file).
 * The temporary file only becomes an upload once every check has passed (the
 * service moves it into UploadStorage). Whatever goes wrong while receiving
 * — the client aborts, the size limit cuts the part, the disk fails — the
 * engine removes the temporary file before reporting the error to multer.
 */
export class HashingTempFileEngine implements StorageEngine {
  constructor(readonly tempDir: string) {}

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

  _removeFile(_req: Request, file: Express.Multer.File & { path?: string }, callback: (error: Error | null) => void): void {
    if (!file.path) return callback(null);
    rm(file.path, { force: true }).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async receive(req: Request, file: Express.Multer.File): Promise<Pick<ReceivedFile, 'path' | 'size' | 'sha256'>> {
    const tempPath = path.join(this.tempDir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
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
      await pipeline(file.stream, meter, createWriteStream(tempPath, { flags: 'wx', mode: FILE_MODE }), { signal: aborted.signal });
      // At limits.fileSize busboy stops the part and marks it truncated;
      // multer answers 413 (LIMIT_FILE_SIZE), and the partial file goes now.
      if ((file.stream as NodeJS.ReadableStream & { truncated?: boolean }).truncated) {
        throw new Error('The file was cut at the size limit.');
      }
      return { path: tempPath, size, sha256: hash.digest('hex') };
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }
}

const inFlight = new WeakMap<Request, Promise<unknown>>();
/** Every file being received in this process, for shutdown. */
const receiving = new Set<Promise<unknown>>();

/**
 * Resolves once every file still being received has finished or failed and
 * been cleaned up. Shutdown waits for it, so a stalled upload cut off by the
 * drain deadline still removes its temporary file before the process exits.
 */
export async function receivingSettled(): Promise<void> {
  await Promise.allSettled([...receiving]);
}

/**
 * Resolves once the engine is done with the request's file, cleanup included.
 * When a part fails, multer reports the error as soon as the part's stream
 * errors, which can be before the engine has removed the temporary file; an
 * error response waits for this, so a client never sees its 4xx while a
 * piece of its upload is still on disk.
 */
export async function fileSettled(req: Request): Promise<void> {
  await inFlight.get(req)?.catch(() => undefined);
}

/**
 * Prepares the temporary directory and removes temporary files older than
 * `maxAgeMs`, left by a process that died mid-upload. Age, not ownership,
 * decides, because several instances may share UPLOAD_DIR: a live upload
 * writes continuously, so its file is never that old.
 */
export async function prepareTempDir(tempDir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  await mkdir(tempDir, { recursive: true, mode: 0o750 });
  let removed = 0;
  for (const name of await readdir(tempDir)) {
    if (!name.endsWith('.part')) continue;
    const file = path.join(tempDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > maxAgeMs) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
