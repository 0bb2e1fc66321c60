import { getHeapSpaceStatistics } from 'node:v8';
import { v8Gc } from './v8-gc';

/**
 * Loading the app (modules, Nest's scan of its providers, the database
 * client) leaves the young generation grown to its cap and the old one
 * holding garbage, and V8 keeps both committed. One collection of everything
 * collectable, before the server listens, gives that back and restarts the
 * young generation at its minimum (it grows under load, up to the cap of
 * src/node-flags.ts): a fresh server idled at 191–205 MiB before, 168–176
 * after, and a 600 MB upload to S3 peaked at 223–229 MB before, 205–210
 * after (BENCHMARKS.md, "Startup garbage"). It pauses the process for
 * 175–265 ms, once, before it takes requests. An ordinary full collection
 * would not shrink the young generation. Returns the young generation's
 * committed bytes before and after, or undefined where V8's gc() is not
 * available.
 */
export function releaseStartupGarbage(): { youngBefore: number; youngAfter: number } | undefined {
  if (!v8Gc) return undefined;
  const youngBefore = youngGenerationBytes();
  v8Gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { youngBefore, youngAfter: youngGenerationBytes() };
}

/** Bytes V8 has committed to the young generation now. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
