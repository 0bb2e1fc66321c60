import { LOGGED_QUERY_PARAMETERS, LOGGED_REQUEST_HEADERS, REDACTED, pickLoggedHeaders, redactUrl } from './log-redaction';

describe('redactUrl', () => {
  it('leaves a URL without a query string untouched', () => {
    expect(redactUrl('/v1/api-keys')).toBe('/v1/api-keys');
    expect(redactUrl('/')).toBe('/');
  });

  it('keeps ordinary query parameters', () => {
    expect(redactUrl('/v1/releases?limit=20&cursor=abc')).toBe('/v1/releases?limit=20&cursor=abc');
  });

  it.each([
    'api_key',
    'apikey',
    'x-api-key',
    'key',
    'access_token',
    'token',
    'refresh_token',
    'client_secret',
    'secret',
    'signature',
    'sig',
    'password',
    'auth',
    'authorization',
    'credential',
    // The auth guard refuses ?jwt= as a credential in the query (auth.guard.ts
    // QUERY_CREDENTIAL), so the log must not keep it either.
    'jwt',
    'API_KEY',
    'Access_Token',
  ])('masks the value of %s', (name) => {
    const secret = 'mpk_live_SECRETvalue123456';
    const redacted = redactUrl(`/v1/api-keys?${name}=${secret}&limit=5`);
    expect(redacted).not.toContain(secret);
    expect(redacted).not.toContain('SECRETvalue');
    const params = new URLSearchParams(redacted.split('?')[1]);
    expect(params.get(name)).toBe(REDACTED);
    expect(params.get('limit')).toBe('5');
    expect(redacted.startsWith('/v1/api-keys?')).toBe(true);
  });

  it('masks the value of any parameter the API does not define, whatever its name', () => {
    for (const name of ['q', 'x', 'session', 'bearer', 'pwd', 'code', 'state', 'data']) {
      const redacted = redactUrl(`/v1/releases?${name}=mpk_live_innocuous-looking-name-secret`);
      expect(redacted).not.toContain('innocuous-looking-name-secret');
      expect(new URLSearchParams(redacted.split('?')[1]).get(name)).toBe(REDACTED);
    }
  });

  it('keeps the values of the API\'s own query parameters', () => {
    for (const name of LOGGED_QUERY_PARAMETERS) {
      expect(new URLSearchParams(redactUrl(`/v1/x?${name}=v-1`).split('?')[1]).get(name)).toBe('v-1');
    }
  });

  it('masks every occurrence of a repeated credential parameter', () => {
    const redacted = redactUrl('/x?token=first-secret&token=second-secret');
    expect(redacted).not.toMatch(/first-secret|second-secret/);
    expect(new URLSearchParams(redacted.split('?')[1]).getAll('token')).toEqual([REDACTED, REDACTED]);
  });

  it('masks percent-encoded and plus-encoded credential values', () => {
    const redacted = redactUrl('/x?api_key=mpk%5Flive%5Fabc%2Bdef&access_token=a+b+c');
    expect(redacted).not.toMatch(/mpk|abc|def|a\+b/);
  });

  it('masks a credential parameter whose name is percent-encoded', () => {
    // %61pi_key decodes to api_key: the server (and the guard) see api_key.
    const redacted = redactUrl('/x?%61pi_key=mpk_live_hidden123');
    expect(redacted).not.toContain('mpk_live_hidden123');
  });

  it('masks a credential parameter with an empty value or none', () => {
    for (const url of ['/x?token=', '/x?token']) {
      expect(new URLSearchParams(redactUrl(url).split('?')[1]).get('token')).toBe(REDACTED);
    }
  });

  it('handles a query that ends the URL or has several "?"', () => {
    expect(redactUrl('/x?')).toBe('/x?');
    const redacted = redactUrl('/x?next=/y?token=abc123secret&token=zzz999secret');
    expect(redacted).not.toContain('zzz999secret');
  });

  it('masks credentials that follow a "#" (Node keeps it in req.url)', () => {
    expect(redactUrl('/x?q=1#&token=fragment-secret')).not.toContain('fragment-secret');
  });
});

describe('pickLoggedHeaders', () => {
  const credentials = {
    authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.secret.payload',
    'x-api-key': 'mpk_live_abcdefghijklmnopqrstuvwxyz0123',
    cookie: 'session=s3cr3t',
    signature: 'sig1=:c2VjcmV0:',
    'signature-input': 'sig1=("@method");keyid="key_x"',
    'webhook-signature': 'v1,c2VjcmV0',
    'proxy-authorization': 'Basic dXNlcjpwYXNz',
    'x-amz-security-token': 'aws-secret',
    'x-custom-secret': 'custom-secret',
  };

  it('keeps only allowlisted headers, dropping every credential', () => {
    const picked = pickLoggedHeaders({
      ...credentials,
      'content-type': 'application/json',
      'user-agent': 'jest',
      'x-request-id': 'req-12345678',
      host: 'localhost',
    });
    expect(picked).toEqual({
      'content-type': 'application/json',
      'user-agent': 'jest',
      'x-request-id': 'req-12345678',
      host: 'localhost',
    });
    const text = JSON.stringify(picked);
    for (const value of Object.values(credentials)) expect(text).not.toContain(value);
  });

  it('never allowlists a credential-carrying header', () => {
    for (const name of Object.keys(credentials)) expect(LOGGED_REQUEST_HEADERS).not.toContain(name);
    expect(LOGGED_REQUEST_HEADERS.every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('omits allowlisted headers the request did not send', () => {
    expect(pickLoggedHeaders({})).toEqual({});
    expect(pickLoggedHeaders({ accept: 'application/json', 'idempotency-key': undefined })).toEqual({ accept: 'application/json' });
  });
});

describe('redactUrl allowlist', () => {
  it('masks values of parameters the API does not define, whatever their name', () => {
    const redacted = redactUrl('/v1/api-keys?q=mpk_live_hiddenKEY123&limit=5&filter=eyJhbGciOiJFUzI1NiJ9.e30.sig');
    expect(redacted).not.toMatch(/hiddenKEY|eyJhbGci/);
    const params = new URLSearchParams(redacted.split('?')[1]);
    expect(params.get('q')).toBe(REDACTED);
    expect(params.get('filter')).toBe(REDACTED);
    expect(params.get('limit')).toBe('5');
  });
});

describe('redactUrl and credentials where a name or an allowlisted value belongs', () => {
  const key = 'mpk_live_7Hq2xYbQ9rT4vW8zA1cD3eF5gH6jK0mN2pQ4r3fZ9aQ';
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJrZXlfMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

  it.each([
    ['a bare key as the whole query', `/v1/api-keys?${key}`],
    ['a bare key among other parameters', `/v1/api-keys?limit=5&${key}`],
    ['a key as a name with a value', `/v1/api-keys?${key}=1&limit=5`],
    ['a key URL-encoded as a name', `/v1/api-keys?${encodeURIComponent(`api_key=${key}`)}&limit=5`],
    ['a JWT as a name', `/v1/api-keys?${jwt}&limit=5`],
    ['a base64 signature as a name', '/v1/api-keys?K2qGT5srn2OGbOIDzQ6kYT+ruaycnDAAUpKv+ePFfD0=&limit=5'],
    ['a key as the value of a defined parameter', `/v1/api-keys?cursor=${key}&limit=5`],
    ['a JWT as the value of a defined parameter', `/v1/audit-events?action=${jwt}&limit=5`],
  ])('logs no part of %s', (_label, url) => {
    const redacted = redactUrl(url);
    for (const secret of [key, key.slice(9, 30), jwt.split('.')[2], 'K2qGT5srn2OGbOIDzQ6kYT']) expect(redacted).not.toContain(secret);
    expect(redacted.split('?')[0]).toBe(url.split('?')[0]);
    if (url.includes('limit=5')) expect(new URLSearchParams(redacted.split('?')[1]).get('limit')).toBe('5');
  });

  it('keeps ordinary parameter names, even unknown ones', () => {
    expect(redactUrl('/v1/releases?include_everything_there_is=1&limit=5')).toBe(`/v1/releases?include_everything_there_is=${encodeURIComponent(REDACTED)}&limit=5`);
  });

  it('redacts a key put in the path instead of an id', () => {
    expect(redactUrl(`/v1/api-keys/${key}/rotate`)).toBe(`/v1/api-keys/${REDACTED}/rotate`);
    expect(redactUrl(`/v1/api-keys/${key}?limit=1`)).toBe(`/v1/api-keys/${REDACTED}?limit=1`);
  });

  it('clears allowlisted headers of credential-shaped parts', () => {
    expect(pickLoggedHeaders({ 'user-agent': `tool/1.0 ${key}`, 'x-request-id': jwt, accept: '*/*' })).toEqual({
      'user-agent': `tool/1.0 ${REDACTED}`,
      'x-request-id': REDACTED,
      accept: '*/*',
    });
  });
});
