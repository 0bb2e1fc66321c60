import { Transform } from 'node:stream';
import { v8Gc } from './v8-gc';

/**
 * Node's HTTP parser hands every request-body chunk over as a fresh off-heap
 * Buffer. A streamed upload hashes and writes each chunk and drops it, but
 * the memory behind it is only freed when V8 collects the chunk's small
 * wrapper object, and a stream allocates almost nothing on the JS heap: with
 * V8's default young generation the wrappers would sit there until external
 * memory reaches V8's 64 MiB soft limit, and a 600 MB upload put the server
 * ≈ 65 MiB over its idle size (BENCHMARKS.md, "Upload: peak RSS"). Code that
 * streams such bytes reports them here, and every COLLECT_EVERY bytes this
 * asks V8 for one young-generation collection, which frees them (a
 * scavenge of a young generation that is mostly garbage: ≈ 0.7 ms measured
 * during a 600 MB upload). The count is process-wide, so concurrent uploads
 * together leave about that much behind, not that much each.
 */
export const COLLECT_EVERY = 8 * 1024 * 1024;

let sinceCollection = 0;

/** Counts bytes of off-heap buffers that are garbage once the caller is done with them. */
export function offHeapGarbage(bytes: number): void {
  sinceCollection += bytes;
  if (sinceCollection < COLLECT_EVERY) return;
  sinceCollection = 0;
  v8Gc?.({ type: 'minor', execution: 'sync' });
}

/** A pass-through for a stream of buffers that are garbage once passed on (a file streamed to a client). */
export function offHeapGarbageMeter(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      offHeapGarbage(chunk.length);
      done(null, chunk);
    },
  });
}
