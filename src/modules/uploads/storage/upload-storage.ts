import type { Readable, Writable } from 'node:stream';

/**
 * Where upload bytes live, behind the smallest interface the uploads service
 * needs. Keys are upload ids, never client input. Two implementations: the
 * local disk (the default) and an S3-compatible bucket (UPLOAD_STORAGE=s3).
 *
 * Writing is staged: `stage(key)` gives a writable that receives the bytes as
 * they stream in, and nothing is visible under the key until `commit()` (the
 * local disk renames its temporary file; S3 completes its multipart upload).
 * `discard()` forgets a staged write (removes the temporary file, aborts the
 * multipart upload), so a refused upload leaves no object behind.
 */
export interface UploadStorage {
  /** `local` or `s3`, for messages and for what only one of them can do. */
  readonly kind: 'local' | 's3';

  /** Starts writing a new object under `key` (a fresh id: nothing is replaced). */
  stage(key: string): StagedObject;

  /** The stored bytes, or `range` of them (inclusive offsets, already checked against the size). */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /** Removes the object; removing one that does not exist is not an error. */
  delete(key: string): Promise<void>;

  /**
   * A URL that fetches the object directly from the store for `expiresInSeconds`
   * (at most 300), or undefined when the store cannot sign one (the local disk).
   */
  presignedDownloadUrl(key: string, options: PresignOptions): Promise<string | undefined>;

  /** Releases what the store holds (connections) at shutdown. */
  close?(): void;
}

export interface StagedObject {
  /** Receives the object's bytes; errors if the store refuses them. */
  readonly writable: Writable;
  /** Makes the written bytes the object under its key. Call once `writable` has finished. */
  commit(): Promise<void>;
  /** Forgets the staged bytes (a no-op after commit, and idempotent). */
  discard(): Promise<void>;
}

export interface PresignOptions {
  expiresInSeconds: number;
  /** What the store answers with, so a browser saves the file as the API would serve it. */
  contentType: string;
  contentDisposition: string;
}

export interface ByteRange {
  start: number;
  end: number;
}

/** Nest injection token for the configured UploadStorage. */
export const UPLOAD_STORAGE = Symbol('UploadStorage');
