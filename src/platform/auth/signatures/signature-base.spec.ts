import { buildSignatureBase, normalizeAuthority, type SignedMessage } from './signature-base';
import { SignatureRefusal } from './signature-refusal';

const MESSAGE: SignedMessage = {
  method: 'POST',
  scheme: 'https',
  authority: 'API.Example.com:443',
  requestTarget: '/v1/releases/../api-keys?limit=5&x=%7e',
  rawHeaders: ['Host', 'API.Example.com:443', 'Content-Digest', ' sha-256=:AAAA: ', 'X-Multi', 'a', 'x-multi', ' b', 'Content-Type', 'application/json'],
};
const PARAMS = '("@method");created=1';

function valueOf(component: string, message: SignedMessage = MESSAGE): string {
  const base = buildSignatureBase([component], PARAMS, message);
  return base.split('\n')[0].slice(`"${component}": `.length);
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureRefusal) return error.reason;
    throw error;
  }
  throw new Error('expected a SignatureRefusal');
}

describe('buildSignatureBase', () => {
  it('lists each component, then @signature-params, with no trailing newline (RFC 9421 §2.5)', () => {
    expect(buildSignatureBase(['@method', 'content-type'], PARAMS, MESSAGE)).toBe(
      '"@method": POST\n"content-type": application/json\n"@signature-params": ("@method");created=1',
    );
  });

  it('derives the request components; path and query exactly as sent, scheme and host normalized', () => {
    expect(valueOf('@method')).toBe('POST');
    expect(valueOf('@target-uri')).toBe('https://api.example.com/v1/releases/../api-keys?limit=5&x=%7e');
    expect(valueOf('@authority')).toBe('api.example.com');
    expect(valueOf('@scheme')).toBe('https');
    expect(valueOf('@request-target')).toBe('/v1/releases/../api-keys?limit=5&x=%7e');
    expect(valueOf('@path')).toBe('/v1/releases/../api-keys');
    expect(valueOf('@query')).toBe('?limit=5&x=%7e');
  });

  it('gives "?" for @query and keeps a non-default port when there is no query', () => {
    const message = { ...MESSAGE, scheme: 'http', authority: 'localhost:3000', requestTarget: '/v1/releases' };
    expect(valueOf('@query', message)).toBe('?');
    expect(valueOf('@target-uri', message)).toBe('http://localhost:3000/v1/releases');
  });

  it('reads a field from every line it came in, trimmed and joined with ", " (§2.1)', () => {
    expect(valueOf('x-multi')).toBe('a, b');
    expect(valueOf('content-digest')).toBe('sha-256=:AAAA:');
  });

  it('refuses a covered field the request does not carry, and unsupported components', () => {
    expect(reasonOf(() => buildSignatureBase(['date'], PARAMS, MESSAGE))).toBe('signature_components');
    expect(reasonOf(() => buildSignatureBase(['@status'], PARAMS, MESSAGE))).toBe('signature_components');
    expect(reasonOf(() => buildSignatureBase(['@query-param'], PARAMS, MESSAGE))).toBe('signature_components');
    expect(reasonOf(() => buildSignatureBase(['Content-Type'], PARAMS, MESSAGE))).toBe('signature_components');
    expect(reasonOf(() => buildSignatureBase(['bad name'], PARAMS, MESSAGE))).toBe('signature_components');
  });

  it('refuses a component covered twice, and @signature-params as a component', () => {
    expect(reasonOf(() => buildSignatureBase(['@method', '@method'], PARAMS, MESSAGE))).toBe('signature_malformed');
    expect(reasonOf(() => buildSignatureBase(['@signature-params'], PARAMS, MESSAGE))).toBe('signature_malformed');
  });
});

describe('normalizeAuthority', () => {
  it.each([
    ['https', 'Example.COM', 'example.com'],
    ['https', 'example.com:443', 'example.com'],
    ['http', 'example.com:80', 'example.com'],
    ['http', 'example.com:443', 'example.com:443'],
    ['https', 'example.com:8443', 'example.com:8443'],
    ['https', '[2001:DB8::1]:443', '[2001:db8::1]'],
    ['http', '[::1]:3000', '[::1]:3000'],
    ['http', 'example.com:', 'example.com'],
  ])('%s %s → %s', (scheme, authority, expected) => {
    expect(normalizeAuthority(scheme, authority)).toBe(expected);
  });
});
