import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { runInNewContext } from 'node:vm';
import { COLLECT_EVERY, offHeapGarbage, offHeapGarbageMeter } from './off-heap-garbage';

const CHUNK = 64 * 1024;
const TOTAL = 48 * 1024 * 1024;

/**
 * Allocates TOTAL bytes as fresh off-heap chunks and drops each at once, as a
 * streamed upload does, and returns how far external memory rose above where
 * it started. It starts from an empty young generation (reporting a full
 * COLLECT_EVERY collects what earlier code left there and resets the count),
 * and measures the worst of three passes: V8 may collect on its own in the
 * middle of one pass (CI once saw a control pass peak at 23 MiB, one
 * collection half-way), but what matters for memory is how high it can go.
 */
function streamGarbage(report: boolean): number {
  let worst = 0;
  for (let pass = 0; pass < 3; pass++) {
    offHeapGarbage(COLLECT_EVERY);
    const start = process.memoryUsage().arrayBuffers;
    let peak = start;
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      const chunk = Buffer.allocUnsafeSlow(CHUNK);
      chunk.fill(1);
      if (report) offHeapGarbage(chunk.length);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    worst = Math.max(worst, peak - start);
  }
  return worst;
}

describe('offHeapGarbage', () => {
  it('keeps dropped off-heap chunks from piling up: they are freed about every COLLECT_EVERY bytes', () => {
    expect(streamGarbage(true)).toBeLessThan(3 * COLLECT_EVERY);
  });

  // The control: the same chunks unreported stay allocated, so the assertion above can fail.
  it('(control) unreported, the same chunks pile up far beyond that', () => {
    expect(streamGarbage(false)).toBeGreaterThan(TOTAL / 2);
  });

  it('leaves gc() off the global object of this and of new contexts', () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});

describe('offHeapGarbageMeter', () => {
  it('passes every byte on unchanged and in order', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(CHUNK, i));
    const out: Buffer[] = [];
    await pipeline(Readable.from(chunks), offHeapGarbageMeter(), async (source: AsyncIterable<Buffer>) => {
      out.push(await buffer(source));
    });
    expect(out[0].equals(Buffer.concat(chunks))).toBe(true);
  });
});
