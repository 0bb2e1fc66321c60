import { releaseStartupGarbage, youngGenerationBytes } from './startup-garbage';
import { v8Gc } from './v8-gc';

const MiB = 1024 * 1024;

/** Allocates as a booting app does: many objects, a share of them surviving a while, so V8 grows the young generation. */
function growYoungGeneration(): void {
  let kept: object[] = [];
  for (let i = 0; i < 3_000_000; i++) {
    kept.push({ i, name: `object ${i}` });
    if (kept.length > 200_000) kept = [];
  }
}

describe('releaseStartupGarbage', () => {
  it('gives back the young generation grown while booting: it starts again at its minimum', () => {
    growYoungGeneration();
    expect(youngGenerationBytes()).toBeGreaterThanOrEqual(4 * MiB);
    const released = releaseStartupGarbage();
    expect(released).toBeDefined();
    expect(released!.youngBefore).toBeGreaterThanOrEqual(4 * MiB);
    expect(released!.youngAfter).toBeLessThanOrEqual(2 * MiB);
    expect(youngGenerationBytes()).toBe(released!.youngAfter);
  });

  // The control: an ordinary full collection leaves the grown young generation committed, so the assertion above can fail.
  it('(control) an ordinary full collection keeps it', () => {
    growYoungGeneration();
    const grown = youngGenerationBytes();
    expect(grown).toBeGreaterThanOrEqual(4 * MiB);
    v8Gc!({ type: 'major', execution: 'sync' });
    expect(youngGenerationBytes()).toBe(grown);
  });
});
