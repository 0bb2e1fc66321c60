/** Where the token endpoint (RFC 6749 §3.2) is served; its errors speak OAuth's format, whatever the failure. */
export const OAUTH_TOKEN_PATH = '/v1/oauth/token';

/**
 * Errors of the token endpoint use OAuth's JSON body (RFC 6749 §5.2), not
 * problem+json: OAuth client libraries parse `error`.
 */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  toBody(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
