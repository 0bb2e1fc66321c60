/**
 * Why a signed request was refused (API guide: Signed requests). Each becomes a 401
 * problem+json whose `reason` extension is this code, so a client can tell
 * a clock problem from a tampered body without guessing.
 */
export type SignatureRefusalReason =
  /** No Signature-Input / Signature field, or only one of them. */
  | 'signature_missing'
  /** A signature field larger than the server accepts. */
  | 'signature_oversized'
  /** Not an RFC 9651 Dictionary, a member of the wrong type, a required parameter missing. */
  | 'signature_malformed'
  /** No signature labelled `sig1` in both fields. */
  | 'signature_label'
  /** A required component is not covered, or a covered one is unsupported or absent. */
  | 'signature_components'
  /** `keyid` is not the id of the key (or token's key) the request authenticated with. */
  | 'signature_keyid'
  /** `alg` is not the algorithm the key was registered with. */
  | 'signature_alg'
  /** `created` more than 300 s in the past, or `expires` passed. */
  | 'signature_expired'
  /** `created` more than 300 s in the future. */
  | 'signature_future'
  /** The signature does not verify over the rebuilt signature base. */
  | 'signature_invalid'
  /** The nonce was already used with this key within the last 10 minutes. */
  | 'signature_replayed'
  /** Content-Digest is not an RFC 9530 Dictionary with a 32-byte sha-256 member. */
  | 'content_digest_malformed'
  /** The body's SHA-256 is not the one Content-Digest states. */
  | 'content_digest_mismatch';

/** A refusal from the pure verification functions; the Nest layer turns it into Unauthenticated. */
export class SignatureRefusal extends Error {
  constructor(
    readonly reason: SignatureRefusalReason,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'SignatureRefusal';
  }
}
