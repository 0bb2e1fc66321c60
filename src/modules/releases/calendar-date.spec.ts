import { validate } from 'class-validator';
import { IsCalendarDate, calendarDateToDate, dateToCalendarDate, isCalendarDate } from './calendar-date';

describe('isCalendarDate', () => {
  it.each(['2024-01-31', '2024-02-29', '2000-02-29', '1999-12-31', '1800-01-01', '9999-12-31'])('accepts %s', (date) => {
    expect(isCalendarDate(date)).toBe(true);
  });

  it.each([
    ['30 February', '2023-02-30'],
    ['29 February in a common year', '2023-02-29'],
    ['29 February in a century year not divisible by 400', '1900-02-29'],
    ['31 April', '2024-04-31'],
    ['month 13', '2024-13-01'],
    ['month 0', '2024-00-10'],
    ['day 0', '2024-01-00'],
    ['day 32', '2024-01-32'],
    ['a year before recorded sound', '0099-01-01'],
  ])('rejects an impossible date: %s', (_label, date) => {
    expect(isCalendarDate(date)).toBe(false);
  });

  it.each([
    ['a date-time', '2024-01-31T00:00:00Z'],
    ['a date with offset', '2024-01-31+02:00'],
    ['compact form', '20240131'],
    ['week date', '2024-W05-3'],
    ['ordinal date', '2024-031'],
    ['unpadded', '2024-1-31'],
    ['five-digit year', '12024-01-31'],
    ['slashes', '2024/01/31'],
    ['surrounding whitespace', ' 2024-01-31'],
    ['empty', ''],
  ])('rejects anything but YYYY-MM-DD: %s', (_label, date) => {
    expect(isCalendarDate(date)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(isCalendarDate(20240131 as unknown as string)).toBe(false);
    expect(isCalendarDate(new Date() as unknown as string)).toBe(false);
  });

  it('round-trips through the Date Prisma uses for DATE columns', () => {
    expect(calendarDateToDate('2024-02-29').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(dateToCalendarDate(calendarDateToDate('1969-07-20'))).toBe('1969-07-20');
  });

  it('works as a class-validator decorator with a field message', async () => {
    class Input {
      @IsCalendarDate()
      releaseDate: unknown;
    }
    const bad = await validate(Object.assign(new Input(), { releaseDate: '2023-02-30' }));
    expect(bad[0].constraints).toEqual({ isCalendarDate: 'releaseDate must be a date that exists, written YYYY-MM-DD' });
    expect(await validate(Object.assign(new Input(), { releaseDate: '2023-02-28' }))).toEqual([]);
  });
});
