/**
 * Credentials recognised by their shape, wherever they appear: in a release
 * title, a query parameter's name, a User-Agent. Redaction by field name
 * cannot catch a secret a client pastes into an ordinary field, and the audit
 * table is append-only, so whatever reaches it is kept for ever. One module,
 * so the audit trail and the logs agree on what a secret looks like.
 *
 * Shapes (each anchored on something a non-secret rarely has):
 * - API keys: `mpk_live_` / `mpk_test_` and at least 7 more characters. The
 *   public lookup prefix (`mpk_live_` + 6) is shown to users and stays.
 * - Webhook and partner secrets: `whsec_` and base64.
 * - JWT/JWS/JWE compact serializations: base64url segments joined by dots,
 *   the first one a JSON header (`eyJ` = base64url of `{"`) at the start of
 *   a token; or three long base64url segments whatever the header says.
 * - `Bearer <token>` and `Basic <credentials>` (RFC 6750 b64token, RFC 7617)
 *   of at least 16 characters with a digit or a lower-case letter right before an upper-case one.
 */
export const REDACTED_SECRET = '[REDACTED]';

const SHAPES = [
  /mpk_(?:live|test)_[0-9A-Za-z]{7,}/,
  /whsec_[A-Za-z0-9+/=_-]{8,}/,
  // These two start only where a run of base64url characters starts. Tried
  // at every position inside a run, a long run without dots (a 14 KB query
  // parameter name, a User-Agent) cost time quadratic in its length: 0.4 s of
  // CPU for 20,000 letters. A match inside a run extends back to the run's
  // start anyway, so the three-segment shape finds exactly what it found.
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2,4}/,
  /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/,
  // A digit, or a lower-case letter right before an upper-case one, is
  // required so that prose ("Basic instruments") is not taken for one; 32
  // random base64url characters lack a digit once in 230, both about once in
  // 60,000. Each check looks at one or two characters, so a long run of
  // letters costs linear time. `(?-i:…)` keeps the cases apart under the /i.
  /\b(?:bearer|basic)\s+(?=[A-Za-z0-9._~+/-]{16,})(?=[A-Za-z0-9._~+/-]*?(?:[0-9]|(?-i:[a-z][A-Z])))[A-Za-z0-9._~+/-]+=*/i,
];

const ANY_SHAPE = new RegExp(SHAPES.map((shape) => shape.source).join('|'), 'gi');
// Case-insensitivity is only meant for the scheme names; the other shapes are
// lower-case literals plus classes that already hold both cases, apart from
// `eyJ`, whose case-folded variants are not JSON headers but would be
// redacted harmlessly.

/** Whether `text` holds anything shaped like a credential. */
export function containsSecretShape(text: string): boolean {
  ANY_SHAPE.lastIndex = 0;
  return ANY_SHAPE.test(text);
}

/** `text` with every credential-shaped part replaced by [REDACTED]; the rest is kept. */
export function redactSecretShapesIn(text: string): string {
  return text.replace(ANY_SHAPE, REDACTED_SECRET);
}

/**
 * A copy of `value` (JSON-like: objects, arrays, strings, numbers…) with
 * every credential-shaped part of every string, keys included, redacted.
 * Returns `value` itself when nothing needed redacting.
 */
export function redactSecretShapes<T>(value: T): T {
  if (typeof value === 'string') return (containsSecretShape(value) ? redactSecretShapesIn(value) : value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => redactSecretShapes(item));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const redacted: [string, unknown] = [redactSecretShapes(key), redactSecretShapes(item)];
      if (redacted[0] !== key || redacted[1] !== item) changed = true;
      return redacted;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}

/**
 * A long opaque token: base64 (whose `+` a query string decodes to a space),
 * base64url or hex, with letters and digits.
 * Too broad for values (ids look like this), but no name a client gives a
 * query parameter legitimately does: a name like this is a credential sent
 * where a name belongs.
 */
export function looksLikeOpaqueToken(text: string): boolean {
  return text.length >= 24 && /^[A-Za-z0-9+/=_:. -]+$/.test(text) && /[0-9]/.test(text) && /[A-Za-z]/.test(text);
}
