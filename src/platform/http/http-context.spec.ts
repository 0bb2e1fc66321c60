import { queryOf } from './http-context';

/** A request whose `query` getter counts its reads, as Express 5 parses the query string on each one. */
function request(url: string, parsed: Record<string, unknown>) {
  const reads = { count: 0 };
  const req = {
    url,
    get query() {
      reads.count += 1;
      return parsed;
    },
  };
  return { req: req as unknown as Parameters<typeof queryOf>[0], reads };
}

describe('queryOf', () => {
  it('is undefined, without parsing anything, for a URL with no query string', () => {
    const { req, reads } = request('/v1/releases/rel_1', {});
    expect(queryOf(req)).toBeUndefined();
    expect(reads.count).toBe(0);
  });

  it('is the parsed query for a URL with one, an empty one included', () => {
    expect(queryOf(request('/v1/releases?limit=5', { limit: '5' }).req)).toEqual({ limit: '5' });
    expect(queryOf(request('/v1/releases?', {}).req)).toEqual({});
  });
});
