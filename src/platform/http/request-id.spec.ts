import type { NextFunction, Request, Response } from 'express';
import { requestIdMiddleware, requestIdOf, resolveRequestId } from './request-id';

const GENERATED = /^req_[0-9a-f]{32}$/;

describe('resolveRequestId', () => {
  it.each(['abcdefgh', 'client-req-12345', 'a.b_c:d-e', '0123456789ABCDEF', 'x'.repeat(128), '01J9Z8K7M6N5P4Q3R2S1T0V9W8'])(
    'echoes a sane id: %s',
    (id) => {
      expect(resolveRequestId(id)).toBe(id);
    },
  );

  it.each([
    ['too short', 'abc1234'],
    ['too long', 'x'.repeat(129)],
    ['empty', ''],
    ['a space', 'has space here'],
    ['a newline (log injection)', 'legit-id-1\n{"level":50,"msg":"forged"}'],
    ['a carriage return', 'legit-id-1\rforged'],
    ['a tab', 'legit\tid-1234'],
    ['quotes', '"quoted-id-1"'],
    ['non-ASCII', 'idé-12345678'],
    ['HTML', '<script>alert(1)</script>'],
    ['a slash', 'abc/def/ghi'],
    ['an API key', 'mpk_live_7Hq2xYbQ9rT4vW8zA1cD3eF5gH6jK0mN2pQ4r3fZ9aQ'],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJrZXlfMSJ9.c2lnbmF0dXJl'],
  ])('replaces an unsafe id (%s) with a generated one', (_label, id) => {
    expect(resolveRequestId(id)).toMatch(GENERATED);
  });

  it('generates an id when none was sent, a new one each time', () => {
    const a = resolveRequestId(undefined);
    const b = resolveRequestId(undefined);
    expect(a).toMatch(GENERATED);
    expect(b).toMatch(GENERATED);
    expect(a).not.toBe(b);
  });

  it('uses the first of repeated header values', () => {
    expect(resolveRequestId(['first-id-123', 'second-id-456'])).toBe('first-id-123');
    expect(resolveRequestId(['bad id', 'second-id-456'])).toMatch(GENERATED);
    expect(resolveRequestId([])).toMatch(GENERATED);
  });
});

describe('requestIdMiddleware', () => {
  function run(headers: Record<string, string | string[] | undefined>): { req: Request; headersSet: Record<string, unknown>; next: jest.Mock } {
    const req = { headers } as unknown as Request;
    const headersSet: Record<string, unknown> = {};
    const res = { setHeader: (name: string, value: unknown) => (headersSet[name.toLowerCase()] = value) } as unknown as Response;
    const next = jest.fn() as jest.Mock & NextFunction;
    requestIdMiddleware(req, res, next);
    return { req, headersSet, next };
  }

  it('stores the echoed id on the request and the response, then continues', () => {
    const { req, headersSet, next } = run({ 'x-request-id': 'client-req-12345' });
    expect(requestIdOf(req)).toBe('client-req-12345');
    expect(headersSet['x-request-id']).toBe('client-req-12345');
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith();
  });

  it('stores a generated id when the incoming one is unsafe', () => {
    const { req, headersSet } = run({ 'x-request-id': 'bad id\n' });
    expect(requestIdOf(req)).toMatch(GENERATED);
    expect(headersSet['x-request-id']).toBe(requestIdOf(req));
  });

  it('stores a generated id when none was sent', () => {
    const { req, headersSet } = run({});
    expect(requestIdOf(req)).toMatch(GENERATED);
    expect(headersSet['x-request-id']).toBe(requestIdOf(req));
  });

  it('requestIdOf is undefined for a request the middleware has not seen', () => {
    expect(requestIdOf({ headers: {} } as Request)).toBeUndefined();
  });
});

describe('minted request ids', () => {
  it('stay distinct across more than one refill of the random pool', () => {
    const ids = new Set(Array.from({ length: 600 }, () => resolveRequestId(undefined)));
    expect(ids.size).toBe(600);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
