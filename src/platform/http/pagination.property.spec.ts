// Properties of keyset-pagination cursors (API guide: Conventions): a cursor round-trips
// the id it was made from, fits the query's 200-character bound, and any other
// string is either one we could have issued or the documented 400 — never an
// unhandled error (which would be a 500).
import fc from 'fast-check';
import { newId, type IdPrefix } from '../ids';
import { decodeCursor, encodeCursor, toPage } from './pagination';
import { BadRequest } from '../errors/domain-errors';

const RUNS = { numRuns: 400 };
const PREFIXES: IdPrefix[] = ['org', 'key', 'rel', 'trk', 'upl', 'we', 'evt', 'msg', 'aud', 'ptn', 'idem'];
const id = fc.tuple(fc.constantFrom(...PREFIXES), fc.integer({ min: 0, max: 2 ** 48 - 1 })).map(([prefix, time]) => newId(prefix, time));

/** decodeCursor's outcome as data: the id, undefined, or the 400. */
function outcome(cursor: string | undefined): { id?: string; status?: number } {
  try {
    return { id: decodeCursor(cursor) };
  } catch (error) {
    if (error instanceof BadRequest) return { status: error.status };
    throw error;
  }
}

describe('pagination cursors (properties)', () => {
  it('decode(encode(id)) = id for every id, and the cursor is URL-safe and at most 200 characters', () => {
    fc.assert(
      fc.property(id, (value) => {
        const cursor = encodeCursor(value);
        return decodeCursor(cursor) === value && /^[A-Za-z0-9_-]+$/.test(cursor) && cursor.length <= 200;
      }),
      RUNS,
    );
  });

  it('turns every toPage nextCursor back into the last id of the page', () => {
    fc.assert(
      fc.property(fc.uniqueArray(id, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 29 }), (ids, limit) => {
        const rows = ids.sort().reverse().map((value) => ({ id: value }));
        const page = toPage(rows, limit, (row) => row.id);
        if (rows.length <= limit) return page.nextCursor === null && page.data.length === rows.length;
        return page.data.length === limit && decodeCursor(page.nextCursor!) === page.data[limit - 1];
      }),
      RUNS,
    );
  });

  it('answers any other string with an id of the cursor shape or the documented 400, never another error', () => {
    const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined').toString('base64url');
    const forged = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string().map(b64),
      fc.jsonValue().map(b64),
      fc.anything().map((after) => b64({ after })),
      fc.constantFrom('null', 'true', '[]', '{"after":null}', '{"__proto__":{"after":"rel_01JF3Z0000000000000000000A"}}', '"rel"').map(b64),
      id.map((value) => encodeCursor(value) + '!!'),
      id.map((value) => b64({ after: `${value}' OR 1=1 --` })),
    );
    fc.assert(
      fc.property(forged, (cursor) => {
        const result = outcome(cursor);
        if (result.status !== undefined) return result.status === 400;
        return result.id === undefined ? cursor === '' : /^[a-z]{2,4}_[0-9A-Z]{26}$/.test(result.id);
      }),
      RUNS,
    );
  });
});
