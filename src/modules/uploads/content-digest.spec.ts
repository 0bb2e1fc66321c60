import { createHash } from 'node:crypto';
import { formatContentDigest, parseContentDigest } from './content-digest';

const digest = createHash('sha256').update('hello').digest();
const b64 = digest.toString('base64');

describe('parseContentDigest', () => {
  it('is absent without a field', () => {
    expect(parseContentDigest(undefined)).toEqual({ kind: 'absent' });
  });

  it('reads a sha-256 member', () => {
    expect(parseContentDigest(`sha-256=:${b64}:`)).toEqual({ kind: 'sha-256', digest });
    expect(parseContentDigest(formatContentDigest(digest))).toEqual({ kind: 'sha-256', digest });
  });

  it('picks sha-256 among several members, with parameters and whitespace', () => {
    const other = Buffer.alloc(64, 1).toString('base64');
    expect(parseContentDigest(`sha-512=:${other}:,  sha-256=:${b64}:;x=1`)).toEqual({ kind: 'sha-256', digest });
  });

  it('combines several field lines', () => {
    const other = Buffer.alloc(64, 1).toString('base64');
    expect(parseContentDigest([`sha-512=:${other}:`, `sha-256=:${b64}:`])).toEqual({ kind: 'sha-256', digest });
  });

  it('lets a later duplicate override an earlier one (RFC 8941)', () => {
    const first = Buffer.alloc(32, 7).toString('base64');
    expect(parseContentDigest(`sha-256=:${first}:, sha-256=:${b64}:`)).toEqual({ kind: 'sha-256', digest });
  });

  it('reports fields without sha-256 as unsupported', () => {
    expect(parseContentDigest(`sha-512=:${Buffer.alloc(64).toString('base64')}:`)).toEqual({ kind: 'unsupported', algorithms: ['sha-512'] });
  });

  it.each([
    ['the older Digest syntax', `SHA-256=${b64}`],
    ['a bare token', 'sha-256'],
    ['hex instead of a byte sequence', `sha-256=${digest.toString('hex')}`],
    ['a missing colon', `sha-256=:${b64}`],
    ['base64url characters', `sha-256=:${digest.toString('base64url')}_:`],
    ['an empty member', `sha-256=:${b64}:,`],
    ['a short digest', `sha-256=:${Buffer.alloc(16).toString('base64')}:`],
    ['an oversized field', `sha-256=:${b64}:;p=${'x'.repeat(2000)}`],
  ])('rejects %s as malformed', (_label, value) => {
    expect(parseContentDigest(value).kind).toBe('malformed');
  });
});
