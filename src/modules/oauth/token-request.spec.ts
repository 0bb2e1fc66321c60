import { OAuthError } from '../../platform/auth/oauth-error';
import { narrowScopes, parseTokenRequest } from './token-request';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const oauthError = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof OAuthError) return { error: error.error, status: error.status, headers: error.headers };
    throw error;
  }
  throw new Error('no OAuthError');
};

describe('parseTokenRequest (RFC 6749 §4.4)', () => {
  it('reads client credentials from the body', () => {
    expect(parseTokenRequest({ grant_type: 'client_credentials', client_id: 'key_1', client_secret: 's', scope: 'a b', other: 'ignored' }, undefined)).toEqual({
      clientId: 'key_1',
      clientSecret: 's',
      usedBasic: false,
      scope: 'a b',
    });
  });

  it('reads them from HTTP Basic, form-decoding both parts (RFC 6749 §2.3.1)', () => {
    expect(parseTokenRequest({ grant_type: 'client_credentials' }, basic('key_1', 'a%2Bb+c'))).toMatchObject({ clientId: 'key_1', clientSecret: 'a+b c', usedBasic: true });
  });

  it('refuses what the RFC refuses, with the right error code', () => {
    expect(oauthError(() => parseTokenRequest({}, undefined)).error).toBe('invalid_request');
    expect(oauthError(() => parseTokenRequest({ grant_type: 'password' }, undefined)).error).toBe('unsupported_grant_type');
    expect(oauthError(() => parseTokenRequest({ grant_type: ['client_credentials', 'x'] }, undefined)).error).toBe('invalid_request');
    expect(oauthError(() => parseTokenRequest({ grant_type: 'client_credentials', client_id: 'k', client_secret: 'x'.repeat(513) }, undefined)).error).toBe('invalid_request');
    expect(oauthError(() => parseTokenRequest('grant_type=client_credentials', undefined)).error).toBe('invalid_request');
    expect(oauthError(() => parseTokenRequest({ grant_type: 'client_credentials', client_secret: 's' }, basic('k', 's'))).error).toBe('invalid_request');
    expect(oauthError(() => parseTokenRequest({ grant_type: 'client_credentials', client_id: 'k' }, undefined))).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(oauthError(() => parseTokenRequest({ grant_type: 'client_credentials' }, 'Basic !!!'))).toMatchObject({
      error: 'invalid_client',
      status: 401,
      headers: { 'WWW-Authenticate': 'Basic realm="musicpub"' },
    });
  });
});

describe('narrowScopes', () => {
  it('grants every held scope by default, or the requested subset', () => {
    expect(narrowScopes(['releases:read', 'releases:write'], undefined)).toEqual(['releases:read', 'releases:write']);
    expect(narrowScopes(['releases:read', 'releases:write'], 'releases:read releases:read')).toEqual(['releases:read']);
  });

  it('refuses an empty, unknown or unheld scope without echoing it', () => {
    for (const scope of [' ', 'nope', 'keys:write']) expect(oauthError(() => narrowScopes(['releases:read'], scope)).error).toBe('invalid_scope');
  });
});
