/**
 * The Idempotency-Key header (IETF httpapi-idempotency-key-header draft,
 * Stripe's semantics; API guide: Idempotency), pure. Both the draft's RFC 8941 sf-string
 * form (`"8e03…"`) and Stripe's bare form (`8e03…`) are accepted; the key is
 * 1–255 printable ASCII characters.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

export type ParsedIdempotencyKey = { ok: true; key: string } | { ok: false; reason: string };

export function parseIdempotencyKey(header: string | string[] | undefined): ParsedIdempotencyKey | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return { ok: false, reason: 'Send one Idempotency-Key header.' };
  let key = header;
  if (header.startsWith('"')) {
    // RFC 8941 §3.3.3 sf-string: quoted, with \" and \\ the only escapes.
    const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(header);
    if (!match) return { ok: false, reason: 'Idempotency-Key is not a valid structured-field string.' };
    key = match[1].replace(/\\(["\\])/g, '$1');
  }
  if (!PRINTABLE_ASCII.test(key) || key.trim() !== key) {
    return { ok: false, reason: 'Idempotency-Key must be 1–255 printable ASCII characters.' };
  }
  return { ok: true, key };
}

/**
 * What "the same request" means: method, path and the body in canonical JSON
 * (RFC 8785), so key order and whitespace do not matter but any value does.
 * For multipart uploads the caller passes the form fields plus the file's
 * SHA-256 as `body`.
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  const canonicalBody = body === undefined ? '' : canonicalOrPlain(body);
  return createHash('sha256').update(`${method.toUpperCase()}\n${path}\n`).update(canonicalBody).digest('hex');
}

/** RFC 8785 refuses lone surrogates; such a body still needs a stable fingerprint (validation refuses it later). */
function canonicalOrPlain(body: unknown): string {
  try {
    return canonicalJson(body);
  } catch {
    return JSON.stringify(body);
  }
}
