// Release dates are calendar dates (DDEX ReleaseDate is an ISO 8601 date, no
// time or zone): exactly YYYY-MM-DD, and a day that exists. `IsDateString` alone
// would also take date-times and week dates, and JavaScript's Date would roll
// 2023-02-30 over to 2 March, so both checks are made here.
import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Before sound recording existed, a date is a typo; the bound also keeps years
// 0–99, which Date.UTC maps to 1900–1999, out.
const MIN_YEAR = 1800;

export function isCalendarDate(value: string): boolean {
  if (typeof value !== 'string') return false;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  if (year < MIN_YEAR || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A calendar date string as the Date at its UTC midnight (how Prisma carries a DATE column). */
export function calendarDateToDate(value: string): Date {
  return new Date(`${value}T00:00:00.000Z`);
}

/** A DATE column's value back as YYYY-MM-DD. */
export function dateToCalendarDate(value: Date): string {
  return value.toISOString().slice(0, 10);
}

export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: (value) => typeof value === 'string' && isCalendarDate(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a date that exists, written YYYY-MM-DD`, options),
      },
    },
    options,
  );
}
