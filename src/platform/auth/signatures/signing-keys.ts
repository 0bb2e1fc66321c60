// The key material behind signed requests (API guide: Signed requests), as plain functions.
//
// - hmac-sha256: the server makes a 32-byte random secret and hands it out
//   once, base64-encoded. The HMAC key is the 32 decoded bytes (not the base64
//   text). At rest it is SecretBox-sealed, bound to the key's id.
// - ed25519: the client keeps its private key and registers the public half as
//   a JWK (RFC 8037 §2: kty "OKP", crv "Ed25519", x = base64url of 32 bytes).
//   The server holds nothing secret.
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject, randomBytes } from 'node:crypto';

export const SIGNATURE_ALGORITHMS = ['hmac-sha256', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly unknown[]).includes(value);
}

/** RFC 9421 §3.3.3 wants a key at least as long as the hash output: 32 bytes. */
export const SIGNING_SECRET_BYTES = 32;

export function generateSigningSecret(): string {
  return randomBytes(SIGNING_SECRET_BYTES).toString('base64');
}

/** The SecretBox context a key's signing secret is sealed under: a sealed value copied to another key does not open. */
export function signingSecretContext(keyId: string): string {
  return `api_key.signing_secret:${keyId}`;
}

export function hmacKeyFromSecret(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'base64'));
}

export function ed25519KeyFromJwk(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

export type PublicJwkResult = { ok: true; jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string } } | { ok: false; message: string };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Members a public Ed25519 JWK may carry besides kty, crv and x (RFC 7517 §4); they are not stored. */
const OPTIONAL_MEMBERS = new Set(['kid', 'use', 'alg', 'key_ops', 'ext']);

/**
 * Checks a client's Ed25519 public JWK and returns only what verification
 * needs. A JWK with a private part (`d`) is refused: the client must never
 * send its private key, and one that did should consider it exposed.
 */
export function parseEd25519PublicJwk(input: unknown): PublicJwkResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, message: 'signingPublicKey must be a JWK object' };
  const jwk = input as Record<string, unknown>;
  if ('d' in jwk) return { ok: false, message: 'signingPublicKey contains a private key ("d"); send only the public key, and treat that private key as exposed' };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') return { ok: false, message: 'signingPublicKey must be an Ed25519 public JWK (kty "OKP", crv "Ed25519")' };
  const unknown = Object.keys(jwk).filter((name) => !['kty', 'crv', 'x'].includes(name) && !OPTIONAL_MEMBERS.has(name));
  if (unknown.length > 0) return { ok: false, message: 'signingPublicKey has members a public Ed25519 JWK does not have' };
  if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') return { ok: false, message: 'signingPublicKey.alg must be EdDSA or Ed25519 when given' };
  if (jwk.use !== undefined && jwk.use !== 'sig') return { ok: false, message: 'signingPublicKey.use must be "sig" when given' };
  if (typeof jwk.x !== 'string' || !BASE64URL.test(jwk.x) || Buffer.from(jwk.x, 'base64url').length !== 32) {
    return { ok: false, message: 'signingPublicKey.x must be the base64url encoding of a 32-byte Ed25519 public key' };
  }
  const normalized = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: jwk.x };
  try {
    ed25519KeyFromJwk(normalized);
  } catch {
    return { ok: false, message: 'signingPublicKey is not a usable Ed25519 public key' };
  }
  return { ok: true, jwk: normalized };
}
