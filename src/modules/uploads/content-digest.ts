// The optional `Content-Digest` of an upload (RFC 9530 §2), as plain functions.
//
//   Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
//
// The field is an RFC 8941 Dictionary whose members are Byte Sequences
// (`:base64:`), optionally with parameters. API guide: Uploads and the distribution rules defines it here as the
// digest of the uploaded file, and only `sha-256` is supported: a field that
// carries no sha-256 member cannot be verified, so it is refused rather than
// silently ignored (RFC 9530 §4 lets a server say what it wants through
// Want-Content-Digest).

export type ContentDigestResult =
  | { kind: 'absent' }
  | { kind: 'sha-256'; digest: Buffer }
  | { kind: 'malformed'; reason: string }
  | { kind: 'unsupported'; algorithms: string[] };

/** What the server asks for when it cannot use the client's digest (RFC 9530 §4). */
export const WANT_CONTENT_DIGEST = 'sha-256=10';

// sf-dictionary member: key "=" byte-sequence, then parameters we ignore.
const MEMBER = /^([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/]*={0,2}):((?:;[^,]*)?)$/;
const MAX_FIELD_LENGTH = 1024;

export function parseContentDigest(field: string | string[] | undefined): ContentDigestResult {
  if (field === undefined) return { kind: 'absent' };
  // Several field lines combine with commas (RFC 9110 §5.3), as a Dictionary's members do.
  const value = Array.isArray(field) ? field.join(', ') : field;
  if (value.length > MAX_FIELD_LENGTH) return { kind: 'malformed', reason: 'the field is too long' };
  const members = new Map<string, string>();
  for (const raw of value.split(',')) {
    const member = raw.trim();
    if (member === '') return { kind: 'malformed', reason: 'an empty member' };
    const match = MEMBER.exec(member);
    if (!match) return { kind: 'malformed', reason: 'each member must look like sha-256=:<base64>:' };
    // RFC 8941 §4.2.2: a later duplicate key overrides an earlier one.
    members.set(match[1], match[2]);
  }
  const sha256 = members.get('sha-256');
  if (sha256 === undefined) return { kind: 'unsupported', algorithms: [...members.keys()] };
  const digest = Buffer.from(sha256, 'base64');
  if (digest.length !== 32) return { kind: 'malformed', reason: 'a sha-256 digest is 32 bytes' };
  return { kind: 'sha-256', digest };
}

/** The field value a client sends for `bytes` whose SHA-256 is `digest`. */
export function formatContentDigest(digest: Buffer): string {
  return `sha-256=:${digest.toString('base64')}:`;
}
