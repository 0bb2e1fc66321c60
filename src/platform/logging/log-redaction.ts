/**
 * What request data may enter a log line. Headers are logged by allowlist, so
 * a new credential header can never leak by default; query values whose name
 * looks like a credential are masked (API.md §1: a key in the query string is
 * never logged).
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

const SENSITIVE_QUERY_NAME = /key|token|secret|signature|sig|password|auth|credential/i;

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const out = new URLSearchParams();
  for (const [name, value] of params) out.append(name, SENSITIVE_QUERY_NAME.test(name) ? REDACTED : value);
  return `${url.slice(0, q)}?${out.toString()}`;
}

export function pickLoggedHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS) {
    if (headers[name] !== undefined) out[name] = headers[name];
  }
  return out;
}
