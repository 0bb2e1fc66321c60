import { buildMessage, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

// C0 controls and DEL: PostgreSQL refuses NUL in text (a 500 if it got that
// far), and line breaks or tabs in a title or © line break the feeds and
// CSV exports stores consume.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const VISIBLE = /\S/;

export function isSingleLineText(value: unknown): boolean {
  return typeof value === 'string' && VISIBLE.test(value) && !CONTROL_CHARACTERS.test(value);
}

/** A string with at least one visible character and no control characters (tabs and line breaks included). */
export function IsSingleLineText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSingleLineText',
      validator: {
        validate: (value) => isSingleLineText(value),
        defaultMessage: buildMessage((each) => `${each}$property must be non-blank text on one line, without control characters`, options),
      },
    },
    options,
  );
}

/**
 * Like @IsOptional() but only for an absent property: `null` is still
 * validated (and fails), for fields whose column has no "unset" state.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}
