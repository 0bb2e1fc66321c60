import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { partSizeFor, S3UploadStorage, type S3StorageSettings } from './s3-upload-storage';

const MiB = 1024 * 1024;

/** An S3Client stand-in that records each command's name and input (bodies by length) and answers like S3. */
function fakeClient(options: { failPart?: number } = {}) {
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      const { Body, ...input } = command.input;
      sent.push({ command: name, input: Body === undefined ? input : { ...input, Body: (Body as Buffer).length } });
      await new Promise((resolve) => setImmediate(resolve));
      if (name === 'CreateMultipartUpload') return { UploadId: 'mpu-1' };
      if (name === 'UploadPart') {
        if (input.PartNumber === options.failPart) throw Object.assign(new Error('part refused'), { name: 'ServiceUnavailable' });
        return { ETag: `"etag-${String(input.PartNumber)}"` };
      }
      return {};
    },
  };
  return { client: client as unknown as S3Client, sent };
}

const settings = (overrides: Partial<S3StorageSettings> = {}): S3StorageSettings => ({
  bucket: 'masters',
  keyPrefix: 'uploads/',
  sse: 'AES256',
  sseKmsKeyId: undefined,
  partSize: 5 * MiB,
  ...overrides,
});

const bytes = (size: number) => Readable.from((function* () {
  for (let left = size; left > 0; left -= 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, left), 1);
})());

describe('S3UploadStorage', () => {
  it('sends a staged write as parts of one multipart upload, encrypted, and completes it on commit only', async () => {
    const { client, sent } = fakeClient();
    const staged = new S3UploadStorage(client, settings()).stage('upl_A');
    await pipeline(bytes(11 * MiB), staged.writable);
    expect(sent.map((s) => s.command)).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart']);
    expect(sent[0].input).toMatchObject({ Bucket: 'masters', Key: 'uploads/upl_A', ServerSideEncryption: 'AES256' });
    expect(sent.slice(1).map((s) => [s.input.PartNumber, s.input.Body])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 1 * MiB],
    ]);
    await staged.commit();
    await staged.discard(); // nothing to do once committed
    expect(sent.at(-1)).toEqual({
      command: 'CompleteMultipartUpload',
      input: {
        Bucket: 'masters',
        Key: 'uploads/upl_A',
        UploadId: 'mpu-1',
        MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"` })) },
      },
    });
  });

  it('asks for aws:kms with the configured key', async () => {
    const { client, sent } = fakeClient();
    const staged = new S3UploadStorage(client, settings({ sse: 'aws:kms', sseKmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k' })).stage('upl_B');
    await pipeline(bytes(10), staged.writable);
    expect(sent[0].input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:eu-west-1:1:key/k' });
    await staged.discard();
  });

  it('aborts the multipart upload when the staged write is discarded, and never completes it', async () => {
    const { client, sent } = fakeClient();
    const staged = new S3UploadStorage(client, settings()).stage('upl_C');
    staged.writable.write(Buffer.alloc(6 * MiB));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await staged.discard();
    await staged.discard();
    expect(sent.map((s) => s.command)).toEqual(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload']);
    expect(sent.at(-1)!.input).toEqual({ Bucket: 'masters', Key: 'uploads/upl_C', UploadId: 'mpu-1' });
    await expect(staged.commit()).rejects.toThrow('discarded');
  });

  it('fails the write when a part is refused', async () => {
    const { client, sent } = fakeClient({ failPart: 2 });
    const staged = new S3UploadStorage(client, settings()).stage('upl_D');
    await expect(pipeline(bytes(12 * MiB), staged.writable)).rejects.toThrow('part refused');
    await staged.discard();
    expect(sent.filter((s) => s.command === 'CompleteMultipartUpload')).toEqual([]);
    expect(sent.at(-1)!.command).toBe('AbortMultipartUpload');
  });

  it('sizes parts at the 5 MiB minimum unless 10,000 of them would not hold the largest upload', () => {
    expect(partSizeFor(2 * 1024 ** 3)).toBe(5 * MiB);
    expect(partSizeFor(100 * 1024 ** 3)).toBe(11 * MiB);
  });
});
