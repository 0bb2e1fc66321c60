import { createHash } from 'node:crypto';
import { assertBodyDigest, sha256, statedBodyDigest } from './body-digest';
import { SignatureRefusal } from './signature-refusal';

const BODY = Buffer.from('{"hello": "world"}');
const DIGEST = createHash('sha256').update(BODY).digest();
// RFC 9530 §2 example value for this body.
const FIELD = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureRefusal) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('statedBodyDigest', () => {
  it('reads the sha-256 member (the RFC 9530 example)', () => {
    expect(statedBodyDigest(FIELD)).toEqual(DIGEST);
  });

  it('ignores other algorithms beside sha-256, and parameters', () => {
    expect(statedBodyDigest(`sha-512=:${Buffer.alloc(64).toString('base64')}:, ${FIELD};x=1`)).toEqual(DIGEST);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['not a Dictionary', 'sha-256=X48E9q'],
    ['without sha-256', `sha-512=:${Buffer.alloc(64).toString('base64')}:`],
    ['a sha-256 of the wrong length', `sha-256=:${Buffer.alloc(31).toString('base64')}:`],
    ['a sha-256 that is a string', 'sha-256="abc"'],
    ['too long', `${FIELD}, pad=:${'A'.repeat(2000)}:`],
  ])('refuses a field that is %s', (_label, field) => {
    expect(reasonOf(() => statedBodyDigest(field))).toBe('content_digest_malformed');
  });
});

describe('assertBodyDigest', () => {
  it('accepts the body’s own digest and refuses any other', () => {
    expect(reasonOf(() => assertBodyDigest(DIGEST, sha256(BODY)))).toBe('accepted');
    expect(reasonOf(() => assertBodyDigest(DIGEST, sha256(Buffer.from('{"hello": "World"}'))))).toBe('content_digest_mismatch');
  });
});
