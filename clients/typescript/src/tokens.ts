import { ProblemError } from './problem';
import { INSPECT, Secret } from './secret';

export const TOKEN_PATH = '/v1/oauth/token';

interface CachedToken {
  value: Secret;
  /** Epoch ms after which it is refreshed (ahead of its real expiry). */
  refreshAt: number;
}

export interface TokenSourceOptions {
  keyId: string;
  key: Secret;
  /** Space-separated subset of the key's scopes; all of them when absent. */
  scope?: string;
  /** Refresh this long before expiry (default 60 s, at most half the token's lifetime). */
  refreshSkewSeconds?: number;
  now: () => number;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): the API key id and the key
 * are exchanged for a short-lived access token, kept until shortly before it
 * expires and then replaced. Concurrent callers share one token request.
 */
export class ClientCredentialsTokens {
  #cached: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;

  constructor(
    private readonly options: TokenSourceOptions,
    /** Sends the token request (unauthenticated; signed and retried like any other request). */
    private readonly post: (path: string, body: URLSearchParams) => Promise<Response>,
  ) {}

  async token(): Promise<string> {
    const cached = this.#cached;
    if (cached && this.options.now() < cached.refreshAt) return cached.value.reveal();
    this.#pending ??= this.fetch().finally(() => {
      this.#pending = undefined;
    });
    return (await this.#pending).value.reveal();
  }

  /** Forgets the token (the server refused it: revoked key, rotated signing key). */
  invalidate(): void {
    this.#cached = undefined;
  }

  private async fetch(): Promise<CachedToken> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.options.keyId, client_secret: this.options.key.reveal() });
    if (this.options.scope) body.set('scope', this.options.scope);
    const response = await this.post(TOKEN_PATH, body);
    if (!response.ok) throw await ProblemError.fromResponse(response);
    const issued = (await response.json()) as { access_token: string; expires_in: number };
    const lifetimeMs = issued.expires_in * 1000;
    const skewMs = Math.min((this.options.refreshSkewSeconds ?? 60) * 1000, lifetimeMs / 2);
    this.#cached = { value: new Secret(issued.access_token), refreshAt: this.options.now() + lifetimeMs - skewMs };
    return this.#cached;
  }

  [INSPECT](): string {
    return `ClientCredentialsTokens(${this.options.keyId})`;
  }

  toJSON(): object {
    return { keyId: this.options.keyId, scope: this.options.scope };
  }
}
