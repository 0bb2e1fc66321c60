// Standard Webhooks (https://www.standardwebhooks.com, "Signature scheme"),
// both directions: signing our outbound deliveries and verifying partners'
// inbound callbacks. Pure functions over node:crypto, no Nest.
//
// Written here rather than calling the `standardwebhooks` package at run time:
// that package verifies against one secret only and reads the clock itself,
// while we sign with several secrets during rotation and want the clock and
// tolerance injected for tests. The e2e tests check our output with the
// package, unchanged, so the two cannot drift apart silently.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec recommends 24–64 random bytes; 32 is one SHA-256 block's worth of key. */
const SECRET_BYTES = 32;
/** ±5 minutes, the spec's (and API guide: Partner callbacks's) replay window. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** A new `whsec_<base64 of 32 random bytes>` secret. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret: the base64 after `whsec_` (the spec's secret format). */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('A webhook secret must not be empty');
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` for one secret. */
function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header value: one `v1,…` per secret, space-separated,
 * so that during a secret rotation a receiver holding either the old or the
 * new secret finds a signature it can verify.
 */
export function signStandardWebhook(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  if (secrets.length === 0) throw new Error('signStandardWebhook needs at least one secret');
  return secrets.map((secret) => signatureFor(secret, id, timestamp, body)).join(' ');
}

export interface StandardWebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export type VerificationFailure = 'missing_headers' | 'malformed_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_matching_signature';

export type VerificationResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: VerificationFailure };

/**
 * Verifies an inbound message the way the spec's reference libraries do:
 * timestamp within ±tolerance of `nowSeconds`, then any `v1` signature in the
 * space-separated list equal to ours, compared in constant time.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: StandardWebhookHeaders,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerificationResult {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  const sentAt = Number(timestamp);
  if (nowSeconds - sentAt > toleranceSeconds) return { ok: false, reason: 'timestamp_too_old' };
  if (sentAt - nowSeconds > toleranceSeconds) return { ok: false, reason: 'timestamp_too_new' };

  const expected = Buffer.from(signatureFor(secret, id, sentAt, body).slice('v1,'.length), 'base64');
  let matched = false;
  for (const candidate of signature.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    // timingSafeEqual needs equal lengths; a length mismatch reveals only the
    // length of a public-format value. Keep looping so every candidate costs the same.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestamp: sentAt } : { ok: false, reason: 'no_matching_signature' };
}
