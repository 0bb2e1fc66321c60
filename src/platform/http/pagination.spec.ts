import { BadRequest } from '../errors/domain-errors';
import { decodeCursor, encodeCursor, toPage } from './pagination';

const ID = (n: number) => `rel_01J9Z8K7M6N5P4Q3R2S1T0V${String(n).padStart(3, '0')}`;

describe('cursors', () => {
  it('round-trips the last id', () => {
    expect(decodeCursor(encodeCursor(ID(1)))).toBe(ID(1));
  });

  it('is opaque (base64url, no raw id)', () => {
    const cursor = encodeCursor(ID(1));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(ID(1));
  });

  it('treats a missing or empty cursor as the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each([
    ['garbage', 'not a cursor'],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a number', Buffer.from('42').toString('base64url')],
    ['no after', Buffer.from('{}').toString('base64url')],
    ['an after that is not an id', Buffer.from(JSON.stringify({ after: "x' OR 1=1 --" })).toString('base64url')],
    ['an after of the wrong type', Buffer.from(JSON.stringify({ after: 5 })).toString('base64url')],
  ])('refuses %s with a 400 naming the cursor', (_label, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadRequest);
    expect((thrown as BadRequest).toProblem().errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });
});

describe('toPage', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: ID(100 - i) }));

  it('returns no cursor when the rows fit', () => {
    expect(toPage(rows(3), 3, (r) => r.id)).toEqual({ data: [ID(100), ID(99), ID(98)], nextCursor: null });
    expect(toPage([], 20, (r: { id: string }) => r.id)).toEqual({ data: [], nextCursor: null });
  });

  it('cuts the extra row and points the cursor at the last row shown', () => {
    const page = toPage(rows(4), 3, (r) => r.id);
    expect(page.data).toEqual([ID(100), ID(99), ID(98)]);
    expect(decodeCursor(page.nextCursor!)).toBe(ID(98));
  });
});
