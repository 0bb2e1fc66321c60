// GS1 identifiers carried by a release: UPC-A (GTIN-12) and EAN-13 (GTIN-13).
// The check digit follows GS1 General Specifications §7.9.1 ("Standard check
// digit calculations for GS1 data structures"): counting from the rightmost
// data digit (the one left of the check digit), digits are weighted 3, 1, 3, 1…;
// the check digit is what brings the weighted sum up to a multiple of 10.

const GTIN_12_OR_13 = /^(?:\d{12}|\d{13})$/;

/** Mod-10 check digit for the data digits of a GTIN (all digits but the last). */
function gs1CheckDigit(dataDigits: string): number {
  let sum = 0;
  for (let i = 0; i < dataDigits.length; i++) {
    const fromRight = dataDigits.length - 1 - i;
    sum += Number(dataDigits[i]) * (fromRight % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * True for a 12-digit UPC-A or 13-digit EAN-13 whose last digit is the GS1
 * mod-10 check digit. Digits only: spaces and hyphens are print formatting,
 * not part of the GTIN, and accepting them would let two spellings of one
 * code be stored.
 */
export function isValidGtin(code: string): boolean {
  if (typeof code !== 'string' || !GTIN_12_OR_13.test(code)) return false;
  return gs1CheckDigit(code.slice(0, -1)) === Number(code[code.length - 1]);
}

/**
 * Every way the same GTIN can be written here: a UPC-A is the EAN-13 with a
 * leading 0 dropped (GS1 General Specifications §3.3.2), so "036000291452"
 * and "0036000291452" name one product.
 */
export function gtinSpellings(code: string): string[] {
  if (code.length === 12) return [code, `0${code}`];
  if (code.length === 13 && code.startsWith('0')) return [code, code.slice(1)];
  return [code];
}
