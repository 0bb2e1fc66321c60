// Properties of ISWC validation (ISO 15707): generated ISWCs with the check
// digit computed from the spec text are accepted in both spellings, and a
// changed digit is refused exactly when the weighted sum notices it.
import fc from 'fast-check';
import { normalizeIswc } from './iswc';

const RUNS = { numRuns: 400 };

/** ISO 15707: 1 (for "T") + Σ i·dᵢ over the nine work digits; check = (10 − sum mod 10) mod 10. */
function specCheck(work: number[]): number {
  const sum = work.reduce((acc, d, i) => acc + (i + 1) * d, 1);
  return (10 - (sum % 10)) % 10;
}

const work = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 });
const display = (w: number[], check: number) => `T-${w.slice(0, 3).join('')}.${w.slice(3, 6).join('')}.${w.slice(6).join('')}-${check}`;
const compact = (w: number[], check: number) => `T${w.join('')}${check}`;

describe('normalizeIswc (properties)', () => {
  it('accepts every generated ISWC in display, compact and lower-case-t form, and returns the display form', () => {
    fc.assert(
      fc.property(work, (w) => {
        const check = specCheck(w);
        const canonical = display(w, check);
        return (
          normalizeIswc(canonical) === canonical &&
          normalizeIswc(compact(w, check)) === canonical &&
          normalizeIswc(compact(w, check).toLowerCase()) === canonical &&
          normalizeIswc(canonical) !== null &&
          normalizeIswc(normalizeIswc(canonical)!) === canonical
        );
      }),
      RUNS,
    );
  });

  it('refuses every wrong check digit', () => {
    fc.assert(
      fc.property(work, fc.integer({ min: 1, max: 9 }), (w, delta) => normalizeIswc(display(w, (specCheck(w) + delta) % 10)) === null),
      RUNS,
    );
  });

  it('refuses a changed work digit exactly when position × change is not a multiple of 10 (the weighted check cannot see the rest)', () => {
    fc.assert(
      fc.property(work, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), (w, i, delta) => {
        const check = specCheck(w);
        const changed = w.slice();
        changed[i] = (w[i] + delta) % 10;
        const noticed = ((i + 1) * (changed[i] - w[i])) % 10 !== 0;
        return (normalizeIswc(display(changed, check)) === null) === noticed;
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary input and returns only the display form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (input) => {
        const out = normalizeIswc(input as string);
        return out === null || /^T-\d{3}\.\d{3}\.\d{3}-\d$/.test(out);
      }),
      RUNS,
    );
  });
});
