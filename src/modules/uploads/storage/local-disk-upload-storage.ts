import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, StorageSource, UploadStorage } from './upload-storage';

// Keys become file names, so only id-shaped keys are allowed: no separators,
// no dots, nothing a client chose.
const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const FILE_MODE = 0o640;

/**
 * UploadStorage on a local (or mounted) directory: one file per key under
 * `<root>/objects/`. A put writes or moves into place under a temporary name
 * first and renames last, so a reader never sees half a file.
 */
export class LocalDiskUploadStorage implements UploadStorage {
  private readonly objectsDir: string;

  constructor(root: string) {
    this.objectsDir = path.join(path.resolve(root), 'objects');
  }

  async init(): Promise<void> {
    await mkdir(this.objectsDir, { recursive: true, mode: 0o750 });
  }

  async put(key: string, source: StorageSource): Promise<void> {
    const target = this.pathOf(key);
    const staging = `${target}.${randomBytes(6).toString('hex')}.partial`;
    try {
      if (source.kind === 'file') {
        await moveFile(source.path, staging);
      } else {
        await pipeline(source.stream, createWriteStream(staging, { flags: 'wx', mode: FILE_MODE }));
      }
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { force: true });
      throw error;
    }
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

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error('UploadStorage keys must be ids');
    return path.join(this.objectsDir, key);
  }
}

/** rename(2) within one file system; a copy when the temporary file is elsewhere. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
