// Content-Digest for bodies that are streamed rather than buffered (multipart
// uploads, API guide: Uploads and the distribution rules): the guard cannot hash bytes that have not arrived yet,
// and the body may be gigabytes. So the check travels with the stream.
//
// Whoever consumes the request pipes it somewhere (multer: `req.pipe(busboy)`).
// `digestWhenPiped` patches this one request's `pipe` so the bytes pass
// through a hashing stream on their way; when the last byte has passed and the
// digest is not the stated one, the consumer is destroyed with the refusal
// before it has seen the end of the body. Multer then removes whatever it
// stored and fails the request with that error; the handler never runs.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Transform, type Writable } from 'node:stream';
import type { Request } from 'express';

type Pipe = Request['pipe'];
type Unpipe = Request['unpipe'];

/** Requests whose Content-Digest a verified signature bound to the streamed body. */
const boundToBody = new WeakSet<Request>();

/**
 * Arranges for the body of `req` to be checked against `stated` as it streams
 * into whatever `req` is piped to; `refusal()` is the error the consumer is
 * destroyed with on a mismatch.
 */
export function digestWhenPiped(req: Request, stated: Buffer, refusal: () => Error): void {
  const originalPipe = req.pipe.bind(req) as Pipe;
  const originalUnpipe = req.unpipe.bind(req) as Unpipe;
  boundToBody.add(req);

  req.pipe = function pipeThroughHash<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // One consumer per request; a second pipe would see no bytes anyway.
    req.pipe = originalPipe;
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        const actual = hash.digest();
        if (!timingSafeEqual(actual, stated)) {
          // The consumer is destroyed before it receives the end of the body,
          // so it never finishes parsing a body that is not the one signed.
          hasher.unpipe(destination as unknown as Writable);
          (destination as unknown as Writable).destroy(refusal());
        }
        done();
      },
    });
    req.unpipe = function unpipeBoth(target?: NodeJS.WritableStream) {
      if (target === undefined || target === destination) {
        originalUnpipe(hasher);
        hasher.unpipe(destination as unknown as Writable);
        req.unpipe = originalUnpipe;
        return req;
      }
      return originalUnpipe(target);
    } as Unpipe;
    originalPipe(hasher);
    hasher.pipe(destination as unknown as Writable, options);
    return destination;
  } as Pipe;
}

/**
 * True when a verified signature bound this request's Content-Digest to its
 * whole streamed body (RFC 9530: the digest of the content). The uploads
 * module then must not also read that field as the digest of the file part
 * (API guide: Uploads and the distribution rules): for a signed multipart request the two cannot both hold.
 */
export function contentDigestIsOfSignedBody(req: Request): boolean {
  return boundToBody.has(req);
}
