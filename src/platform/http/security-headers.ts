import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The security headers an API response needs: what stops a JSON body being
 * sniffed, framed, embedded or leaked through a referrer. Helmet's other
 * headers (Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
 * X-XSS-Protection) concern pages a browser renders: only /docs gets them.
 */
const API_RESPONSE_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
];

/** The headers helmet sets with `options`, computed once (they do not depend on the request). */
function helmetHeaders(options: HelmetOptions): Map<string, string> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    removeHeader: () => undefined,
  };
  helmet(options)({} as never, res as never, () => undefined);
  return headers;
}

/**
 * `api`: the fixed API headers with helmet's values for the same options, set
 * on every response without helmet's per-request work. `docs`: helmet itself,
 * for the documentation page.
 */
export function securityHeaders(options: HelmetOptions): { api: RequestHandler; docs: RequestHandler } {
  const all = helmetHeaders(options);
  const fixed = API_RESPONSE_HEADERS.filter((name) => all.has(name)).map((name) => [name, all.get(name)!] as const);
  return {
    api: (_req: Request, res: Response, next: NextFunction) => {
      for (const [name, value] of fixed) res.setHeader(name, value);
      next();
    },
    docs: helmet(options),
  };
}
