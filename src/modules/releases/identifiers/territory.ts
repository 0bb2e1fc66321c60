// Release territories: ISO 3166-1 alpha-2 country codes, plus "WW" for
// worldwide (API contract §3; WW is not assigned in ISO 3166-1, so it cannot
// collide with a country).
// The country list comes from i18n-iso-countries, which tracks ISO 3166-1
// updates, rather than a table copied into this repository. It also lists XK
// (Kosovo, a user-assigned code that stores and DSPs use), which we accept.
// Its core module: the package's main entry also loads and registers the
// country names of all 82 languages it ships (≈ 1.7 MiB of heap held for the
// process's life), and a code check needs none of them.
import * as countries from 'i18n-iso-countries/index';

// countries.isValid() also accepts alpha-3 ("USA"), numeric ("840") and
// lowercase codes; the API contract is the uppercase alpha-2 form only, so the
// shape is checked first and only then looked up.
const ALPHA_2 = /^[A-Z]{2}$/;

export const WORLDWIDE = 'WW';

export function isTerritoryCode(code: string): boolean {
  if (typeof code !== 'string' || !ALPHA_2.test(code)) return false;
  return code === WORLDWIDE || countries.isValid(code);
}
