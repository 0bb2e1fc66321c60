// ISWC, ISO 15707: the prefix "T", nine digits of work identifier and one check
// digit, displayed as T-DDD.DDD.DDD-C (ISO 15707 and the CISAC ISWC Handbook).
// Check digit (ISO 15707): sum = 1 (the value given to "T") + Σ i·d_i
// for i = 1..9; check = (10 − sum mod 10) mod 10.

const DISPLAY = /^T-(\d{3})\.(\d{3})\.(\d{3})-(\d)$/;
const COMPACT = /^T(\d{3})(\d{3})(\d{3})(\d)$/;

function iswcCheckDigit(workDigits: string): number {
  let sum = 1;
  for (let i = 0; i < 9; i++) sum += (i + 1) * Number(workDigits[i]);
  return (10 - (sum % 10)) % 10;
}

/**
 * Returns the canonical display form "T-034.524.680-1" or null when the input
 * is not a well-formed ISWC with a correct check digit. Accepts the display form
 * and the compact form "T0345246801". A lowercase "t" is accepted for the same
 * reason ISRC case is folded: the standard defines only the capital prefix, so
 * "t" cannot denote a different work.
 */
export function normalizeIswc(input: string): string | null {
  if (typeof input !== 'string') return null;
  // ASCII only, checked before case folding: Unicode upper-casing can change
  // the length ('ß' → 'SS') and turn a non-code into a valid-looking one.
  if (!/^[\x21-\x7e]*$/.test(input)) return null;
  const upper = input.toUpperCase();
  const match = DISPLAY.exec(upper) ?? COMPACT.exec(upper);
  if (!match) return null;
  const [, a, b, c, check] = match;
  if (iswcCheckDigit(a + b + c) !== Number(check)) return null;
  return `T-${a}.${b}.${c}-${check}`;
}
