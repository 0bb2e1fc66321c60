import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeFlagGiven } from '../../node-flags';

/** The options of V8's gc() (its gc extension) used here: which generation, at once, and with 'last-resort' everything collectable, shrinking what V8 keeps committed. */
export interface GcOptions {
  type: 'minor' | 'major';
  execution: 'sync';
  flavor?: 'regular' | 'last-resort';
}

/**
 * V8's gc() without --expose-gc on the command line, which would put gc on
 * every script's global object: the flag is set only while one new context is
 * created, which gets the function, and then cleared again (unless the
 * process was started with it, on the command line or in NODE_OPTIONS).
 * Written here rather than taken from a package (`expose-gc` does the same in
 * three lines, without clearing the flag). Undefined where the platform
 * refuses it; its callers then leave collection to V8's own pace.
 */
export const v8Gc: ((options: GcOptions) => void) | undefined = loadGc();

function loadGc(): ((options: GcOptions) => void) | undefined {
  const startedWithIt = nodeFlagGiven('--expose-gc', process.execArgv, process.env.NODE_OPTIONS);
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as (options: GcOptions) => void) : undefined;
  } catch {
    return undefined;
  } finally {
    if (!startedWithIt) setFlagsFromString('--no-expose-gc');
  }
}
