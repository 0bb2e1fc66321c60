// What this API demands of a request signature beyond RFC 9421 itself
// (API guide: Signed requests): whose key, which algorithm, how fresh, which components.
import { SignatureRefusal } from './signature-refusal';
import type { SignatureParameters } from './signature-fields';
import type { SignatureAlgorithm } from './signing-keys';

/** `created` may differ from the server's clock by this much either way. */
export const CREATED_SKEW_SECONDS = 300;
/**
 * How long a nonce is remembered. A signature is accepted while `created` is
 * within ±300 s of now, so one first used at the latest (created = now + 300)
 * stays acceptable for 600 s: remembering each nonce that long closes the window.
 */
export const NONCE_WINDOW_SECONDS = 2 * CREATED_SKEW_SECONDS;

/** Visible ASCII, long enough to be random, short enough to index (e.g. a UUID or 16 random bytes in base64url). */
const NONCE = /^[\x21-\x7e]{8,128}$/;

export const REQUIRED_COMPONENTS = ['@method', '@target-uri'] as const;
export const BODY_DIGEST_COMPONENT = 'content-digest';

export interface SignatureExpectation {
  keyId: string;
  alg: SignatureAlgorithm;
}

/** Checks keyid, alg, created/expires and nonce; returns the nonce to remember. */
export function checkSignatureParameters(params: SignatureParameters, expected: SignatureExpectation, nowSeconds: number): { nonce: string } {
  if (params.keyid === undefined) throw new SignatureRefusal('signature_keyid', 'The signature must name its key: keyid="<the API key id>".');
  if (params.keyid !== expected.keyId) {
    throw new SignatureRefusal('signature_keyid', 'The signature keyid is not the id of the API key this request authenticated with.');
  }
  if (params.alg !== expected.alg) {
    throw new SignatureRefusal('signature_alg', `This key signs with alg="${expected.alg}"; the signature must say so.`);
  }
  if (params.created === undefined) throw new SignatureRefusal('signature_malformed', 'The signature must carry created (Unix seconds).');
  if (params.created < nowSeconds - CREATED_SKEW_SECONDS) {
    throw new SignatureRefusal('signature_expired', `The signature was created more than ${CREATED_SKEW_SECONDS} s ago; sign each request when sending it.`);
  }
  if (params.created > nowSeconds + CREATED_SKEW_SECONDS) {
    throw new SignatureRefusal('signature_future', `The signature was created more than ${CREATED_SKEW_SECONDS} s in the future; check the client's clock.`);
  }
  // §2.3: expires is optional; when the signer set one, it is honoured too.
  if (params.expires !== undefined && params.expires < nowSeconds) {
    throw new SignatureRefusal('signature_expired', 'The signature has expired (its expires parameter has passed).');
  }
  if (params.nonce === undefined) throw new SignatureRefusal('signature_malformed', 'The signature must carry a nonce, new for every request.');
  if (!NONCE.test(params.nonce)) throw new SignatureRefusal('signature_malformed', 'The nonce must be 8 to 128 visible ASCII characters.');
  return { nonce: params.nonce };
}

/** "@method" and "@target-uri" always; "content-digest" whenever the request has a body. */
export function checkCoveredComponents(components: readonly string[], hasBody: boolean): void {
  const missing: string[] = REQUIRED_COMPONENTS.filter((name) => !components.includes(name));
  if (hasBody && !components.includes(BODY_DIGEST_COMPONENT)) missing.push(BODY_DIGEST_COMPONENT);
  if (missing.length > 0) {
    throw new SignatureRefusal('signature_components', `The signature must cover ${missing.map((name) => `"${name}"`).join(' ')}.`);
  }
}
