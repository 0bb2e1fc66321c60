/**
 * The token request of OAuth 2.0 client credentials (RFC 6749 §4.4), read
 * from its parameters and Authorization header, pure. As RFC 6749 §3.2 asks,
 * unknown parameters are ignored and repeated ones refused.
 */
import { OAuthError } from '../../platform/auth/oauth-error';
import { isScope, Scope } from '../../platform/auth/scopes';

const MAX_PARAM_LENGTH = 512;

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  /** The client authenticated with HTTP Basic (RFC 6749 §2.3.1): failures then carry a Basic challenge. */
  usedBasic: boolean;
  /** The `scope` parameter, unparsed; undefined for every scope the key holds. */
  scope?: string;
}

export function parseTokenRequest(body: unknown, authorization: string | undefined): TokenRequest {
  const params = readParams(body);
  if (params.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
  if (params.grant_type !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  return { ...clientCredentials(authorization, params), scope: params.scope };
}

type Params = Partial<Record<'grant_type' | 'client_id' | 'client_secret' | 'scope', string>>;

function readParams(body: unknown): Params {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded (or JSON).');
  }
  const out: Params = {};
  for (const name of ['grant_type', 'client_id', 'client_secret', 'scope'] as const) {
    const value = (body as Record<string, unknown>)[name];
    if (value === undefined || value === '') continue; // RFC 6749 §3.1: empty = omitted
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once, as a string.`);
    if (value.length > MAX_PARAM_LENGTH) throw new OAuthError('invalid_request', `${name} is too long.`);
    out[name] = value;
  }
  return out;
}

function clientCredentials(authorization: string | undefined, params: Params): { clientId: string; clientSecret: string; usedBasic: boolean } {
  if (authorization !== undefined) {
    if (params.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'Authenticate the client one way: HTTP Basic or client_secret, not both.');
    }
    const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(authorization);
    const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 'Client authentication failed.', 401, { 'WWW-Authenticate': 'Basic realm="musicpub"' });
    // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
    try {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
        usedBasic: true,
      };
    } catch {
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, { 'WWW-Authenticate': 'Basic realm="musicpub"' });
    }
  }
  if (params.client_id === undefined || params.client_secret === undefined) {
    throw new OAuthError('invalid_client', 'client_id and client_secret are required.', 401);
  }
  return { clientId: params.client_id, clientSecret: params.client_secret, usedBasic: false };
}

export function narrowScopes(held: readonly Scope[], requested: string | undefined): Scope[] {
  if (requested === undefined) return [...held];
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const invalid = wanted.filter((s) => !isScope(s) || !held.includes(s));
  if (wanted.length === 0 || invalid.length > 0) {
    // Client input is not echoed: RFC 6749 §5.2 limits error_description's characters.
    throw new OAuthError('invalid_scope', 'The requested scope is empty, unknown, or not held by this key.');
  }
  return wanted as Scope[];
}
