import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ByteRange, StagedObject, UploadStorage } from './upload-storage';

// Keys become file names, so only id-shaped keys are allowed: no separators,
// no dots, nothing a client chose.
const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const FILE_MODE = 0o640;

/**
 * UploadStorage on a local (or mounted) directory: one file per key under
 * `<root>/objects/`. A staged write goes to `<root>/tmp/<uuid>.part` and is
 * renamed into place on commit (same file system, so atomic), so a reader
 * never sees half a file.
 */
export class LocalDiskUploadStorage implements UploadStorage {
  readonly kind = 'local';
  private readonly objectsDir: string;
  readonly tempDir: string;

  constructor(root: string) {
    this.objectsDir = path.join(path.resolve(root), 'objects');
    this.tempDir = path.join(path.resolve(root), 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true, mode: 0o750 });
    await mkdir(this.tempDir, { recursive: true, mode: 0o750 });
  }

  stage(key: string): StagedObject {
    const target = this.pathOf(key);
    const staging = path.join(this.tempDir, `${randomUUID()}.part`);
    const writable = createWriteStream(staging, { flags: 'wx', mode: FILE_MODE });
    let committed = false;
    return {
      writable,
      async commit() {
        await rename(staging, target);
        committed = true;
      },
      async discard() {
        if (committed) return;
        // A stream that failed or was cut off may still hold its descriptor.
        if (!writable.closed) await new Promise<void>((resolve) => writable.destroy().once('close', () => resolve()));
        await rm(staging, { force: true });
      },
    };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    // Open first, so a missing file fails here (where the caller can still
    // answer with a status) rather than midway through a response.
    const handle = await open(this.pathOf(key), 'r');
    // The stream owns the handle and closes it when it ends or is destroyed.
    return handle.createReadStream({ start: range?.start, end: range?.end });
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  presignedDownloadUrl(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  /**
   * Removes staged files older than `maxAgeMs`, left by a process that died
   * mid-upload. Age, not ownership, decides, because several instances may
   * share the directory: a live upload writes continuously, so its file is
   * never that old.
   */
  async removeStaleStagedFiles(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tempDir)) {
      if (!name.endsWith('.part')) continue;
      const file = path.join(this.tempDir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error('UploadStorage keys must be ids');
    return path.join(this.objectsDir, key);
  }
}
