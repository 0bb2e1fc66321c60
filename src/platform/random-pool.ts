import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for identifiers, cut from a buffer the CSPRNG refills
 * (`randomFillSync`) when it runs out, as `crypto.randomUUID` does
 * internally. On this project's machines one `randomBytes(16)` call costs
 * ≈ 2.4 µs (a trip into the kernel's RNG per call); a draw from the pool
 * ≈ 0.16 µs, one refill per 256 ids. The bytes are the same CSPRNG output,
 * and none is handed out twice. Keys, nonces and IVs keep calling
 * `randomBytes` themselves: this is for ids, whose only requirement is to be
 * unguessable and unique.
 */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** `size` fresh random bytes, as a buffer of its own (≤ 4096). */
export function randomIdBytes(size: number): Buffer {
  if (size > POOL.length) throw new RangeError(`randomIdBytes: at most ${POOL.length} bytes at a time`);
  if (offset + size > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const bytes = Buffer.from(POOL.subarray(offset, offset + size));
  offset += size;
  return bytes;
}
