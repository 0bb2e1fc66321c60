import { securityHeaders } from './security-headers';

function headersSetBy(middleware: (req: never, res: never, next: () => void) => void): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value), removeHeader: () => undefined };
  let nexted = false;
  middleware({} as never, res as never, () => (nexted = true));
  expect(nexted).toBe(true);
  return headers;
}

describe('securityHeaders', () => {
  const options = { strictTransportSecurity: false as const, contentSecurityPolicy: { directives: { 'script-src': ["'self'"] } } };

  it('sets the API headers with the values helmet gives them', () => {
    const { api, docs } = securityHeaders(options);
    const fromApi = headersSetBy(api as never);
    const fromHelmet = headersSetBy(docs as never);
    expect(fromApi).toEqual({
      'content-security-policy': fromHelmet['content-security-policy'],
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
    });
    expect(fromApi['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'self'/);
  });

  it('leaves the page-only headers to /docs', () => {
    const { api, docs } = securityHeaders(options);
    expect(headersSetBy(api as never)).not.toHaveProperty('x-xss-protection');
    expect(headersSetBy(docs as never)).toMatchObject({ 'x-xss-protection': '0', 'origin-agent-cluster': '?1' });
  });

  it('adds HSTS when it is configured', () => {
    const { api } = securityHeaders({ ...options, strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true } });
    expect(headersSetBy(api as never)['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});
