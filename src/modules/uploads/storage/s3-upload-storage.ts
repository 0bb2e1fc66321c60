import { Readable, Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
  type CompletedPart,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ByteRange, PresignOptions, StagedObject, UploadStorage } from './upload-storage';

const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** S3 wants at least 5 MiB in every part but the last, and at most 10,000 parts. */
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/**
 * Bytes per multipart part for objects of up to `maxObjectBytes`: the
 * smallest S3 allows (memory is two parts per upload in flight), grown only
 * when the largest upload would not fit in 10,000 parts (beyond ~48 GiB).
 */
export function partSizeFor(maxObjectBytes: number): number {
  return Math.max(MIN_PART_SIZE, Math.ceil(maxObjectBytes / MAX_PARTS / 1024 ** 2) * 1024 ** 2);
}

export interface S3StorageSettings {
  bucket: string;
  /** Prepended to every key, e.g. `uploads/`. */
  keyPrefix: string;
  /** Server-side encryption requested on every object. */
  sse: 'AES256' | 'aws:kms';
  /** With aws:kms: the key; the bucket's default KMS key otherwise. */
  sseKmsKeyId: string | undefined;
  /** Bytes per multipart part (partSizeFor(UPLOAD_MAX_BYTES)). */
  partSize: number;
}

/**
 * UploadStorage on an S3-compatible bucket (AWS SDK v3). A staged write is a
 * multipart upload: nothing exists under the key until it is completed, and
 * a discarded one is aborted, so a refused upload leaves no object.
 *
 * Why not @aws-sdk/lib-storage's Upload: it collects each part as a list of
 * chunks and concatenates them (one more copy of every byte, in fresh
 * buffers) and keeps up to `queueSize` parts in memory; measured on a 600 MB
 * upload, that pushed the server past its 250 MB RSS budget. Here each
 * upload owns at most two part buffers, reused for its whole length: one fills
 * while the other is being sent, and the request stream waits (backpressure)
 * when both are busy.
 */
export class S3UploadStorage implements UploadStorage {
  readonly kind = 's3';

  constructor(
    readonly client: S3Client,
    private readonly settings: S3StorageSettings,
  ) {}

  stage(key: string): StagedObject {
    const writable = new MultipartUploadWritable(this.client, this.settings.partSize, {
      Bucket: this.settings.bucket,
      Key: this.keyOf(key),
      ServerSideEncryption: this.settings.sse as ServerSideEncryption,
      ...(this.settings.sse === 'aws:kms' && this.settings.sseKmsKeyId ? { SSEKMSKeyId: this.settings.sseKmsKeyId } : {}),
    });
    let state: 'open' | 'committed' | 'discarded' = 'open';
    return {
      writable,
      async commit() {
        if (state !== 'open') throw new Error(`a ${state} staged object cannot be committed`);
        await writable.complete();
        state = 'committed';
      },
      async discard() {
        if (state !== 'open') return;
        state = 'discarded';
        await writable.abort();
      },
    };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const { Body } = await this.client.send(
      new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    if (!(Body instanceof Readable)) throw new Error('the S3 client returned no Node.js stream');
    return Body;
  }

  async delete(key: string): Promise<void> {
    // DeleteObject succeeds for a key that does not exist.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
  }

  presignedDownloadUrl(key: string, options: PresignOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.keyOf(key),
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.contentDisposition,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
  }

  /** Closes the client's kept-alive connections. */
  close(): void {
    this.client.destroy();
  }

  private keyOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error('UploadStorage keys must be ids');
    return `${this.settings.keyPrefix}${key}`;
  }
}

interface ObjectParams {
  Bucket: string;
  Key: string;
  ServerSideEncryption: ServerSideEncryption;
  SSEKMSKeyId?: string;
}

/**
 * The bytes of one object, sent as the parts of a multipart upload while they
 * arrive. `complete()` after `finish`; `abort()` otherwise.
 */
class MultipartUploadWritable extends Writable {
  private uploadId: Promise<string>;
  private readonly parts: CompletedPart[] = [];
  private filling: Buffer | undefined;
  private spare: Buffer | undefined;
  private filled = 0;
  /** The part being sent, if any (its rejection is observed when awaited). */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: S3Client,
    private readonly partSize: number,
    private readonly object: ObjectParams,
  ) {
    super();
    this.uploadId = client.send(new CreateMultipartUploadCommand({ ...object, ContentType: 'application/octet-stream' })).then(({ UploadId }) => {
      if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      return UploadId;
    });
    this.uploadId.catch(() => undefined); // observed by the first write, complete() and abort()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // The last part may be short; an empty object still needs one (empty) part.
    const last = this.filled > 0 || this.parts.length === 0 ? this.send() : Promise.resolve();
    last.then(() => this.sending).then(() => callback(), callback);
  }

  async complete(): Promise<void> {
    await this.sending;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.object.Bucket,
        Key: this.object.Key,
        UploadId: await this.uploadId,
        MultipartUpload: { Parts: [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!) },
      }),
    );
  }

  async abort(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await this.sending.catch(() => undefined);
    const uploadId = await this.uploadId.catch(() => undefined);
    if (uploadId === undefined) return;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.object.Bucket, Key: this.object.Key, UploadId: uploadId }));
  }

  private async take(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.filling ??= Buffer.allocUnsafeSlow(this.partSize);
      const copied = chunk.copy(this.filling, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.partSize) await this.send();
    }
  }

  /** Starts sending the filled buffer as the next part, once the previous part is through. */
  private async send(): Promise<void> {
    await this.sending;
    const uploadId = await this.uploadId;
    const buffer = this.filling ?? Buffer.alloc(0);
    const body = buffer.subarray(0, this.filled);
    const partNumber = this.parts.length + 1;
    this.parts.push({ PartNumber: partNumber });
    // Fill the other buffer while this one is on its way.
    this.filling = this.spare;
    this.spare = undefined;
    this.filled = 0;
    this.sending = this.client
      .send(new UploadPartCommand({ Bucket: this.object.Bucket, Key: this.object.Key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }))
      .then(({ ETag }) => {
        this.parts[partNumber - 1].ETag = ETag;
        if (buffer.length === this.partSize) this.spare = buffer;
      });
    this.sending.catch(() => undefined); // observed by the next send, _final, complete() or abort()
  }
}

/** The S3 client for the settings: the SDK's standard credential chain, and checksums only where S3 requires them (many S3-compatible stores reject the newer defaults). */
export function createS3Client(options: { region: string; endpoint: string | undefined; forcePathStyle: boolean }): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
