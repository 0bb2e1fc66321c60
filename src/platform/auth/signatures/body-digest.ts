// `Content-Digest` (RFC 9530 §2) as signed requests use it: the SHA-256 of
// the message content, i.e. the request body exactly as sent. The field is an
// RFC 9651 Dictionary of Byte Sequences; its `sha-256` member is required
// (the one algorithm API guide: Signed requests names), other members are ignored.
//
//   Content-Digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as StructuredHeaders from 'structured-headers/dist/index';
import { SignatureRefusal } from './signature-refusal';

const { isInnerList, parseDictionary } = require('structured-headers') as typeof StructuredHeaders;

const MAX_FIELD_LENGTH = 1024;

/** The sha-256 a Content-Digest field states, or a `content_digest_malformed` refusal. */
export function statedBodyDigest(field: string | string[] | undefined): Buffer {
  const value = Array.isArray(field) ? field.join(', ') : field;
  if (!value) throw new SignatureRefusal('content_digest_malformed', 'A request with a body must carry Content-Digest: sha-256=:<base64>: (RFC 9530).');
  if (value.length > MAX_FIELD_LENGTH) throw new SignatureRefusal('content_digest_malformed', 'Content-Digest is too long.');
  let members: ReturnType<typeof parseDictionary>;
  try {
    members = parseDictionary(value);
  } catch {
    throw new SignatureRefusal('content_digest_malformed', 'Content-Digest is not a valid structured field Dictionary (RFC 9530 §2).');
  }
  const member = members.get('sha-256');
  if (member === undefined) throw new SignatureRefusal('content_digest_malformed', 'Content-Digest must include a sha-256 member.');
  if (isInnerList(member) || !(member[0] instanceof ArrayBuffer) || member[0].byteLength !== 32) {
    throw new SignatureRefusal('content_digest_malformed', 'The sha-256 member of Content-Digest must be a 32-byte Byte Sequence.');
  }
  return Buffer.from(member[0]);
}

export function sha256(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

export function bodyDigestMismatch(): SignatureRefusal {
  return new SignatureRefusal('content_digest_mismatch', 'The body does not match its Content-Digest; it was changed in transit or digested differently.');
}

/** Throws `content_digest_mismatch` unless `actual` is the stated digest. */
export function assertBodyDigest(stated: Buffer, actual: Buffer): void {
  if (stated.length !== actual.length || !timingSafeEqual(stated, actual)) throw bodyDigestMismatch();
}
