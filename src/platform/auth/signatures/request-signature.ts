// Verifies one request's `sig1` (RFC 9421 §3.2) against the key it
// authenticated with, as a plain function: parse the fields, check them
// against the policy of API guide: Signed requests, rebuild the signature base, verify it.
// What is left for the caller needs I/O: comparing the body with the stated
// digest (it may still be streaming) and remembering the nonce.
import { createHmac, type KeyObject, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { statedBodyDigest } from './body-digest';
import { buildSignatureBase, type SignedMessage } from './signature-base';
import { readSignatureFields } from './signature-fields';
import { BODY_DIGEST_COMPONENT, checkCoveredComponents, checkSignatureParameters, type SignatureExpectation } from './signature-policy';
import { SignatureRefusal } from './signature-refusal';

export interface SignedRequest extends SignedMessage {
  signatureInput: string | string[] | undefined;
  signature: string | string[] | undefined;
  contentDigest: string | string[] | undefined;
  /** Whether the request carries content (a non-zero Content-Length, or Transfer-Encoding). */
  hasBody: boolean;
}

export interface VerificationKey extends SignatureExpectation {
  /** The HMAC secret (hmac-sha256) or the Ed25519 public key (ed25519). */
  key: KeyObject;
}

export interface VerifiedSignature {
  nonce: string;
  /** The SHA-256 the body must have: set whenever Content-Digest is covered (always, for a request with a body). */
  bodyDigest?: Buffer;
}

/** RFC 9421 §3.3.3 (HMAC-SHA256) and §3.3.6 (Ed25519), over the signature base's bytes. */
export function signatureMatches(alg: SignatureExpectation['alg'], key: KeyObject, base: Buffer, signature: Buffer): boolean {
  if (alg === 'hmac-sha256') {
    const expected = createHmac('sha256', key).update(base).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  // Node checks the length (64 bytes) and answers false for anything malformed.
  return verifySignature(null, base, key, signature);
}

export function verifyRequestSignature(request: SignedRequest, expected: VerificationKey, nowSeconds: number): VerifiedSignature {
  const fields = readSignatureFields(request.signatureInput, request.signature);
  const { nonce } = checkSignatureParameters(fields.parameters, expected, nowSeconds);
  checkCoveredComponents(fields.components, request.hasBody);
  const base = buildSignatureBase(fields.components, fields.signatureParams, request);
  if (!signatureMatches(expected.alg, expected.key, Buffer.from(base, 'utf8'), fields.signature)) {
    throw new SignatureRefusal('signature_invalid', 'The signature does not verify: the request differs from what was signed, or another key signed it.');
  }
  // Only now that the covered Content-Digest is known to be the signer's.
  const bodyDigest = fields.components.includes(BODY_DIGEST_COMPONENT) ? statedBodyDigest(request.contentDigest) : undefined;
  return { nonce, bodyDigest };
}
