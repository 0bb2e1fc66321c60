// class-validator decorators over the pure identifier checks, so DTOs reject a
// bad identifier as a field error (API contract §3). They only validate: the
// service normalises ISRC/ISWC before storing, so both hyphenated and compact
// spellings pass here. Each takes ValidationOptions, so `{ each: true }` works
// on arrays (territories) and the message can be overridden.
import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';
import { isValidGtin } from './gs1-code';
import { normalizeIsrc } from './isrc';
import { normalizeIswc } from './iswc';
import { isLanguageTag } from './language-tag';
import { isTerritoryCode } from './territory';

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function IsGtin(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGtin',
      validator: {
        validate: (value) => isString(value) && isValidGtin(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a 12-digit UPC-A or 13-digit EAN-13 with a valid GS1 check digit`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsIsrc(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsrc',
      validator: {
        validate: (value) => isString(value) && normalizeIsrc(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISRC in the form CC-XXX-YY-NNNNN (hyphens optional)`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsIswc(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIswc',
      validator: {
        validate: (value) => isString(value) && normalizeIswc(value) !== null,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISWC in the form T-DDD.DDD.DDD-C with a valid check digit`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsTerritoryCode(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTerritoryCode',
      validator: {
        validate: (value) => isString(value) && isTerritoryCode(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an uppercase ISO 3166-1 alpha-2 country code or "WW" (worldwide)`,
          options,
        ),
      },
    },
    options,
  );
}

export function IsLanguageTag(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLanguageTag',
      validator: {
        validate: (value) => isString(value) && isLanguageTag(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a BCP 47 language tag of at most 35 characters whose subtags are in the IANA Language Subtag Registry (e.g. "en" or "pt-BR")`,
          options,
        ),
      },
    },
    options,
  );
}
