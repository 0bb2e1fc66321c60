import type { Readable } from 'node:stream';

/**
 * Where upload bytes live, behind the smallest interface the uploads service
 * needs: put, get (whole or a byte range), delete. Keys are upload ids, never
 * client input. It is shaped to fit an S3-compatible store later without
 * touching callers: `put` takes a stream or a local file (an S3 store uploads
 * it; the local disk renames it), `get` maps to GetObject with a `Range`, and
 * `delete` to DeleteObject (also idempotent).
 */
export interface UploadStorage {
  /**
   * Stores `source` under `key`, replacing nothing (keys are fresh ids). A
   * `file` source is consumed: afterwards it may have been moved away, and the
   * caller removes whatever is left of it.
   */
  put(key: string, source: StorageSource): Promise<void>;

  /** The stored bytes, or `range` of them (inclusive offsets, already checked against the size). */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /** Removes the object; removing one that does not exist is not an error. */
  delete(key: string): Promise<void>;
}

export type StorageSource = { kind: 'file'; path: string } | { kind: 'stream'; stream: Readable };

export interface ByteRange {
  start: number;
  end: number;
}

/** Nest injection token for the configured UploadStorage. */
export const UPLOAD_STORAGE = Symbol('UploadStorage');
