import { containsSecretShape, looksLikeOpaqueToken, redactSecretShapes, redactSecretShapesIn } from '../audit/secret-shapes';

/**
 * What request data may enter a log line: headers and query values by
 * allowlist, so a credential can never leak by default, whatever a client
 * names it (API guide: Authentication: a key in the query string is never logged). Parameter
 * names stay, so a log still shows what was asked.
 */
export const LOGGED_REQUEST_HEADERS = [
  'content-type',
  'content-length',
  'user-agent',
  'accept',
  'host',
  'x-forwarded-for',
  'x-request-id',
  'idempotency-key',
  'if-match',
];

export const REDACTED = '[REDACTED]';

// Defence in depth for objects logged by hand (errors, contexts): these paths
// are censored wherever they appear, even though serializers never emit them.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers.signature',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.key',
  '*.token',
  '*.client_secret',
  '*.access_token',
  '*.signingSecret',
];

/** Query parameters this API defines; their values are never secret. */
export const LOGGED_QUERY_PARAMETERS = new Set(['limit', 'cursor', 'status', 'action', 'actorId', 'resourceId', 'outcome', 'from', 'to']);

/**
 * A parameter whose name is itself a credential (`?mpk_live_…`, a client
 * that forgot `api_key=`) loses its name as well as its value; so does a
 * defined parameter whose value is shaped like one (a key pasted as a cursor).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return redactSecretShapesIn(url);
  const params = new URLSearchParams(url.slice(q + 1));
  const out = new URLSearchParams();
  for (const [name, value] of params) {
    const loggedName = containsSecretShape(name) || looksLikeOpaqueToken(name) ? REDACTED : name;
    const loggedValue = LOGGED_QUERY_PARAMETERS.has(name) && !containsSecretShape(value) ? value : REDACTED;
    out.append(loggedName, loggedValue);
  }
  // The path is the client's too: /v1/api-keys/<a key instead of an id>.
  return `${redactSecretShapesIn(url.slice(0, q))}?${out.toString()}`;
}

/** The allowlisted headers, each cleared of anything shaped like a credential (a key in a User-Agent). */
export function pickLoggedHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS) {
    if (headers[name] !== undefined) out[name] = redactSecretShapes(headers[name]);
  }
  return out;
}
