// Catalogues of hostile and boundary inputs for the schema-driven fuzzer
// (test/fuzz-openapi.e2e-spec.ts): ids, query values, headers, JSON bodies
// derived from a request schema, and multipart forms. Pure data and string
// building; the fuzzer picks from them with a seeded generator.
import { randomBytes } from 'node:crypto';
import type { SchemaObject } from './openapi-operations';

/** Path-parameter values that are not ids of anything (percent-encoded by the caller). */
export const MALFORMED_IDS = [
  // The first six are always tried; the rest are sampled.
  '\u0000',
  'a'.repeat(5000),
  "rel_01JF3Z0000000000000000000' OR '1'='1",
  '../../../../etc/passwd',
  'rel_01jf3z00000000000000000000',
  '😀',
  'x',
  '0',
  '-1',
  'null',
  'undefined',
  'rel_',
  '..',
  '%00',
  'upl_01JF3Z00000000000000000000\u0000',
  '\u202e\u2066evil',
  '{"$ne":null}',
  '__proto__',
  'constructor',
];

/** Path segments sent without encoding (the first four always tried): broken escapes, encoded traversal, encoded NUL, lone surrogate bytes. */
export const RAW_SEGMENTS = ['%00', '%zz', '%ED%A0%80', '%2F..%2F..', '%', '%C0%AE%C0%AE', '%2e%2e', ';jsessionid=1', '%252e', '~', '*'];

/** Hostile values for query parameters we know, and parameters we do not. */
export const QUERY_CASES = [
  'limit=0',
  'limit=101',
  'limit=-1',
  'limit=abc',
  'limit=1.5',
  'limit=1e2',
  'limit=',
  'limit=99999999999999999999999',
  'limit=%200x10',
  'limit=1&limit=2',
  'limit[]=1',
  'limit[a]=1',
  'cursor=garbage',
  'cursor=' + 'A'.repeat(500),
  'cursor=%00',
  'cursor=eyJhZnRlciI6bnVsbH0',
  'cursor=bnVsbA',
  'cursor[]=x',
  'status=bogus',
  'status=DRAFT',
  'status=draft&status=live',
  'status[$ne]=draft',
  'from=not-a-date',
  'from=2026-02-30T00:00:00Z',
  'from=0000-01-01T00:00:00Z',
  'from=9999-12-31T23:59:59.999Z',
  'to=+275760-09-13T00:00:00.000Z',
  'to=2026-01-01T00:00:00+99:99',
  'action=' + 'a'.repeat(100),
  "action=release.create'--",
  'actorId=%00',
  'resourceId=rel_%00',
  'actorId=' + 'k'.repeat(100),
  'outcome=maybe',
  'foo=bar',
  '__proto__[admin]=true',
  'constructor[prototype][admin]=true',
  'api_key=mpk_live_x',
  '%zz=1',
  'a=%E0%A4%A',
];

/** Header sets worth sending to any route. */
export const HEADER_CASES: Array<Record<string, string>> = [
  { 'Idempotency-Key': '' },
  { 'Idempotency-Key': ' ' },
  { 'Idempotency-Key': 'k'.repeat(256) },
  { 'Idempotency-Key': '"unterminated' },
  { 'Idempotency-Key': '"\\x"' },
  { 'Idempotency-Key': 'caf\u00e9' },
  { 'If-Match': 'garbage' },
  { 'If-Match': '"v999"' },
  { 'If-Match': 'W/"v1"' },
  { 'If-Match': '"v1", "v2", W/"v3"' },
  { 'If-Match': '"' },
  { 'If-Match': '"v1"'.repeat(1000) },
  { 'X-Request-Id': 'x'.repeat(300) },
  { 'X-Request-Id': 'has spaces and "quotes"' },
  { Accept: 'application/xml' },
  { Accept: 'text/html;q=0.9, */*;q=0' },
  { Range: 'bytes=abc' },
  { Range: 'bytes=99999999999999-' },
  { Range: 'bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0' },
  { Range: 'bytes=-0' },
  { Range: 'items=0-1' },
  { 'If-Range': 'garbage' },
  { 'Content-Digest': 'sha-256=:not base64:' },
  { 'Content-Digest': 'sha-512=:AAAA:, sha-256=:AAAA:' },
  { 'Content-Encoding': 'gzip' },
];

/** Content types a JSON route must refuse with 415 (or accept, for +json). */
export const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zzz',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'application/json;;;',
  'APPLICATION/JSON',
  '',
];

/** Bodies that are not valid JSON, or not a JSON object. */
export const BROKEN_JSON = [
  '{',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '\ufeff{}',
  'NaN',
  '{"a":1}{"b":2}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  'null',
  '[]',
  '[{}]',
  '1',
  '"string"',
  'true',
  '1e309',
  `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
];

/**
 * Values of the wrong type, or at the edge, for a property of `schema`. The
 * first three of each list are the ones always tried (null, NUL or a numeric
 * string, one past the bound); the rest are sampled.
 */
export function hostileValuesFor(schema: SchemaObject | undefined): unknown[] {
  const type = schema?.type;
  const huge = 'x'.repeat(Math.max(schema?.maxLength ?? 0, 1000) + 1);
  const common: unknown[] = [{}, { $gt: '' }, [], true, -1, 1e308, 'x'.repeat(60_000)];
  switch (type) {
    case 'string':
      return [null, 'a\u0000b', 0, ...common, '', ' ', huge, '\ud800', '\udfff\ud800', '\u202eRTL', '\u2028', '😀'.repeat(200), '<script>alert(1)</script>', "'; DROP TABLE releases; --", ['text']];
    case 'number':
    case 'integer':
      return [null, '1', (schema?.maximum ?? 1e6) + 1, ...common, 1.5, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER * 10, (schema?.minimum ?? 0) - 1, '1e3'];
    case 'boolean':
      return [null, 'true', 0, ...common, 'false', 1, 'yes'];
    case 'array':
      return [null, ['\u0000'], Array.from({ length: (schema?.maxItems ?? 100) + 1 }, (_, i) => `item${i}`), ...common, 'item', [null], [{}], Array.from({ length: 5000 }, () => 'WW'), [['nested']]];
    default:
      return [null, 'a\u0000b', {}, ...common, 'text', 0];
  }
}

/** Property names a client must never be able to set (mass assignment). */
export const FORBIDDEN_PROPERTIES: Record<string, unknown> = {
  id: 'rel_01JF3Z00000000000000000000',
  orgId: 'org_01JF3Z00000000000000000000',
  status: 'live',
  version: 99,
  createdAt: '2000-01-01T00:00:00Z',
  keyHash: 'AAAA',
  secret: 'whsec_AAAA',
  isAdmin: true,
};

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  content: Buffer | string;
}

/** A multipart/form-data body (RFC 7578) written by hand, so malformed ones can be too. */
export function multipartBody(parts: MultipartPart[], options: { boundary?: string; truncate?: boolean } = {}): { contentType: string; body: Buffer } {
  const boundary = options.boundary ?? `----fuzz${randomBytes(6).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content, 'utf8'), Buffer.from('\r\n'));
  }
  if (!options.truncate) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
