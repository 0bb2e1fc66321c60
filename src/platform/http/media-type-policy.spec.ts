import type { NextFunction, Request, Response } from 'express';
import { acceptedMediaTypes, mediaTypePolicy } from './media-type-policy';
import { UnsupportedMediaType } from '../errors/domain-errors';

function check(path: string, headers: Record<string, string>): unknown {
  const next = jest.fn();
  mediaTypePolicy({ path, headers } as unknown as Request, {} as Response, next as NextFunction);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.calls[0][0];
}

const body = (contentType?: string): Record<string, string> => ({
  'content-length': '12',
  ...(contentType === undefined ? {} : { 'content-type': contentType }),
});

describe('acceptedMediaTypes', () => {
  it('is JSON by default', () => {
    expect(acceptedMediaTypes('/v1/api-keys')).toEqual(['application/json']);
    expect(acceptedMediaTypes('/v1/uploads/upl_123')).toEqual(['application/json']);
    expect(acceptedMediaTypes('/v1/oauth/token/extra')).toEqual(['application/json']);
  });

  it('adds form encoding on the OAuth token endpoint only (RFC 6749 §4.4.2)', () => {
    expect(acceptedMediaTypes('/v1/oauth/token')).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(acceptedMediaTypes('/v1/oauth/token/')).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  });

  it('is multipart on the upload endpoint', () => {
    expect(acceptedMediaTypes('/v1/uploads')).toEqual(['multipart/form-data']);
  });
});

describe('mediaTypePolicy', () => {
  it('lets a request without a body through whatever its Content-Type', () => {
    expect(check('/v1/api-keys', {})).toBeUndefined();
    expect(check('/v1/api-keys', { 'content-type': 'text/plain' })).toBeUndefined();
    expect(check('/v1/api-keys', { 'content-type': 'text/plain', 'content-length': '0' })).toBeUndefined();
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    ' application/json ;charset=UTF-8',
    'application/merge-patch+json',
    'application/problem+json',
    'application/vnd.musicpub.v1+json',
  ])('accepts %s bodies on JSON endpoints', (type) => {
    expect(check('/v1/releases', body(type))).toBeUndefined();
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json-seq', 'text/json'])(
    'refuses %s on JSON endpoints with 415',
    (type) => {
      const error = check('/v1/releases', body(type));
      expect(error).toBeInstanceOf(UnsupportedMediaType);
      expect((error as UnsupportedMediaType).status).toBe(415);
      expect((error as UnsupportedMediaType).message).toContain('application/json');
    },
  );

  it('refuses a body without a Content-Type', () => {
    const error = check('/v1/releases', body());
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as Error).message).toBe('This endpoint accepts application/json bodies.');
  });

  it('treats a chunked body (no Content-Length) as a body', () => {
    expect(check('/v1/releases', { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' })).toBeInstanceOf(UnsupportedMediaType);
    expect(check('/v1/releases', { 'transfer-encoding': 'chunked', 'content-type': 'application/json' })).toBeUndefined();
  });

  it('accepts form and JSON bodies on the token endpoint, nothing else', () => {
    expect(check('/v1/oauth/token', body('application/x-www-form-urlencoded'))).toBeUndefined();
    expect(check('/v1/oauth/token', body('application/x-www-form-urlencoded; charset=utf-8'))).toBeUndefined();
    expect(check('/v1/oauth/token', body('application/json'))).toBeUndefined();
    const error = check('/v1/oauth/token', body('text/plain'));
    expect(error).toBeInstanceOf(UnsupportedMediaType);
    expect((error as Error).message).toContain('application/x-www-form-urlencoded');
  });

  it('accepts only multipart on the upload endpoint', () => {
    expect(check('/v1/uploads', body('multipart/form-data; boundary=----abc'))).toBeUndefined();
    expect(check('/v1/uploads', body('application/json'))).toBeInstanceOf(UnsupportedMediaType);
    expect(check('/v1/api-keys', body('multipart/form-data; boundary=----abc'))).toBeInstanceOf(UnsupportedMediaType);
  });

  it('names the declared type in the detail without its parameters', () => {
    const error = check('/v1/releases', body('text/plain; secret=abc'));
    expect((error as Error).message).toBe('This endpoint accepts application/json bodies, not text/plain.');
  });
});
