// ISRC, ISO 3901: CC-XXX-YY-NNNNN. Country code (2 letters), registrant code
// (3 alphanumerics), year of reference (2 digits), designation code (5 digits).
// The hyphens are for display only (ISRC Handbook); the stored form is the 12
// characters without them. ISRC has no check digit, so this is a shape check.

// Why any two letters and not "a country that exists in ISO 3166-1": the
// International ISRC Agency allocates prefixes that are not ISO 3166-1 countries
// (QM and QZ are issued to US registrants), and codes issued under withdrawn
// country codes (e.g. YU) stay valid because an ISRC is never reissued. Checking
// against today's country list would reject real ISRCs.
const COMPACT = /^([A-Z]{2})([A-Z0-9]{3})(\d{2})(\d{5})$/;
// Either all four hyphens in their places or none: a partly hyphenated value
// ("USRC1-76-07839") is more likely a mistyped code than a formatting choice.
const HYPHENATED = /^([A-Z]{2})-([A-Z0-9]{3})-(\d{2})-(\d{5})$/;

/**
 * Returns the 12-character ISRC (uppercase, no hyphens) or null when the input
 * is not an ISRC. Lowercase input is accepted and uppercased: ISO 3901 writes
 * ISRCs in capital letters only, so "usrc17607839" cannot name a different
 * recording than "USRC17607839"; storing one spelling keeps the per-org
 * uniqueness check on ISRC sound.
 */
export function normalizeIsrc(input: string): string | null {
  if (typeof input !== 'string') return null;
  // ASCII only, checked before case folding: Unicode upper-casing can change
  // the length ('ß' → 'SS') and turn a non-code into a valid-looking one.
  if (!/^[\x21-\x7e]*$/.test(input)) return null;
  const upper = input.toUpperCase();
  const match = COMPACT.exec(upper) ?? HYPHENATED.exec(upper);
  return match ? match.slice(1, 5).join('') : null;
}
