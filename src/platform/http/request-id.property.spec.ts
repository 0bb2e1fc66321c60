// Properties of X-Request-Id handling (API guide: Conventions): a sane incoming id is echoed
// unchanged, anything else is replaced by a fresh one, and what comes out is
// always safe to put in a log line or a response header.
import fc from 'fast-check';
import { resolveRequestId } from './request-id';

const RUNS = { numRuns: 400 };
const SAFE = /^[A-Za-z0-9._:-]{8,128}$/;
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-'.split('');

describe('resolveRequestId (properties)', () => {
  it('echoes every id of 8–128 token characters unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 8, maxLength: 128 }), (id) => resolveRequestId(id) === id),
      RUNS,
    );
  });

  it('replaces anything else, including ids with CR/LF, quotes, spaces or over 128 characters, by a fresh req_ id', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 129, maxLength: 400 }),
      fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), maxLength: 7 }),
      fc.tuple(fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 8, maxLength: 60 }), fc.constantFrom('\r\n', '\n', ' ', '"', '{', '%0a', '\u2028', '\u0000'))
        .map(([id, bad]) => id + bad + id),
    );
    fc.assert(
      fc.property(hostile, (incoming) => {
        fc.pre(!SAFE.test(incoming));
        const out = resolveRequestId(incoming);
        return out !== incoming && /^req_[0-9a-f]{32}$/.test(out);
      }),
      RUNS,
    );
  });

  it('never throws and always yields a safe id, for strings, repeated headers and absent ones', () => {
    const header = fc.oneof(fc.constant(undefined), fc.string(), fc.array(fc.string({ unit: 'binary' }), { maxLength: 3 }));
    fc.assert(
      fc.property(header, (incoming) => {
        const out = resolveRequestId(incoming);
        const first = Array.isArray(incoming) ? incoming[0] : incoming;
        return SAFE.test(out) && (first !== undefined && SAFE.test(first) ? out === first : out.startsWith('req_'));
      }),
      RUNS,
    );
  });

  it('mints a different id every time', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.constant(undefined), (none) => {
        const id = resolveRequestId(none);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      }),
      RUNS,
    );
  });
});
