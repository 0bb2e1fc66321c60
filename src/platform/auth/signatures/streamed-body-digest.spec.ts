import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { Request } from 'express';
import { contentDigestIsOfSignedBody, digestWhenPiped } from './streamed-body-digest';

const CHUNKS = [Buffer.from('--boundary\r\n'), Buffer.alloc(100_000, 1), Buffer.from('\r\n--boundary--\r\n')];
const DIGEST = createHash('sha256').update(Buffer.concat(CHUNKS)).digest();

function request(): Request {
  return Readable.from(CHUNKS, { objectMode: false }) as unknown as Request;
}

function collector(): { sink: Writable; done: Promise<{ bytes: number; error?: Error }> } {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  const done = new Promise<{ bytes: number; error?: Error }>((resolve) => {
    sink.on('finish', () => resolve({ bytes }));
    sink.on('error', (error) => resolve({ bytes, error }));
  });
  return { sink, done };
}

describe('digestWhenPiped', () => {
  it('passes every byte through to the consumer when the body matches', async () => {
    const req = request();
    digestWhenPiped(req, DIGEST, () => new Error('refused'));
    expect(contentDigestIsOfSignedBody(req)).toBe(true);
    const { sink, done } = collector();
    req.pipe(sink);
    await expect(done).resolves.toEqual({ bytes: Buffer.concat(CHUNKS).length });
  });

  it('destroys the consumer with the refusal, before it sees the end, when the body differs', async () => {
    const req = request();
    const refusal = new Error('refused');
    digestWhenPiped(req, Buffer.alloc(32), () => refusal);
    const { sink, done } = collector();
    req.pipe(sink);
    const outcome = await done;
    expect(outcome.error).toBe(refusal);
    expect(sink.writableFinished).toBe(false);
  });

  it('unpipes through the hashing stage when the consumer unpipes itself', async () => {
    const req = new PassThrough() as unknown as Request & PassThrough;
    digestWhenPiped(req, DIGEST, () => new Error('refused'));
    const { sink } = collector();
    req.pipe(sink);
    req.unpipe(sink);
    expect((req as unknown as Readable).listenerCount('data')).toBe(0);
  });

  it('marks only requests it was arranged for', () => {
    expect(contentDigestIsOfSignedBody(request())).toBe(false);
  });
});
