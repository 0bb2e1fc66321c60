import { randomUUID } from 'node:crypto';
import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import type { HttpMethod, MediaType, PathsWithMethod, RequiredKeysOf } from 'openapi-typescript-helpers';
import type { paths } from './api-types';
import { backoffMs, RETRY_DEFAULTS, retryAfterMs, type RetryOptions, sleep } from './backoff';
import { ProblemError, problemOf } from './problem';
import { INSPECT, Secret } from './secret';
import { RequestSigner, type SigningOptions } from './signing';
import { ClientCredentialsTokens, TOKEN_PATH } from './tokens';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface MusicpubClientOptions {
  /** The API's address (default: MUSICPUB_BASE_URL, else http://localhost:3000). */
  baseUrl?: string;
  /** The API key (default: MUSICPUB_API_KEY). Kept out of every log, error and inspection. */
  apiKey?: string;
  /** The key's id, key_… (default: MUSICPUB_KEY_ID); needed for `auth: 'oauth'` and for signing. */
  keyId?: string;
  /**
   * `apiKey` (default) sends X-API-Key; `oauth` exchanges the key for an
   * access token (client credentials) and sends that, refreshed ahead of expiry.
   */
  auth?: 'apiKey' | 'oauth';
  /** With `auth: 'oauth'`: the scopes to ask for (space-separated); all of the key's by default. */
  scope?: string;
  /** Refresh tokens this long before they expire (default 60 s, at most half their lifetime). */
  refreshSkewSeconds?: number;
  /** Sign every request (RFC 9421), for keys that require it. */
  signing?: SigningOptions;
  /** Retries of network errors, 409 idempotency-key-in-use, 429 and 503; `false` sends each request once. */
  retry?: RetryOptions | false;
  /** Called before each retry, e.g. to log it (the request's secrets are not in it). */
  onRetry?: (event: RetryEvent) => void;
  /** The fetch to send with (default: the global fetch). */
  fetch?: FetchLike;
  /** Where the defaults above are read (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Clock and randomness, replaceable in tests. */
  now?: () => number;
  random?: () => number;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  /** `network`, or the status that asked for a retry. */
  reason: 'network' | 409 | 429 | 503;
  idempotencyKey?: string;
}

/** Methods whose requests carry an Idempotency-Key (API guide: Idempotency): the client adds one, so their retries are safe. */
const KEYED_METHODS = new Set(['POST', 'PATCH']);
const IN_USE = /#idempotency-key-in-use$/;

type InitParam<Init> = RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];
type Success<T> = T extends { error?: never; data: infer D } ? D : never;

/** A typed call that returns the response body, or throws ProblemError for any non-2xx answer. */
export type ApiMethod<M extends HttpMethod> = <P extends PathsWithMethod<paths, M>, I extends MaybeOptionalInit<paths[P], M>>(
  url: P,
  ...init: InitParam<I>
) => Promise<Success<FetchResponse<paths[P][M] & Record<string | number, unknown>, I, MediaType>>>;

/**
 * The musicpub API client. `get`/`post`/`put`/`patch`/`delete` return the
 * body or throw ProblemError; `api` is the underlying openapi-fetch client
 * (`{ data, error, response }`, for headers such as ETag). Both go through
 * the same transport: credentials, Idempotency-Key, signing and retries.
 */
export class MusicpubClient {
  readonly baseUrl: string;
  readonly api: Client<paths>;
  readonly get: ApiMethod<'get'>;
  readonly post: ApiMethod<'post'>;
  readonly put: ApiMethod<'put'>;
  readonly patch: ApiMethod<'patch'>;
  readonly delete: ApiMethod<'delete'>;

  readonly #key: Secret | undefined;
  readonly #keyId: string | undefined;
  readonly #auth: 'apiKey' | 'oauth';
  readonly #tokens: ClientCredentialsTokens | undefined;
  readonly #signer: RequestSigner | undefined;
  readonly #retry: Required<RetryOptions>;
  readonly #fetch: FetchLike;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #random: () => number;

  constructor(options: MusicpubClientOptions = {}) {
    const env = options.env ?? process.env;
    this.baseUrl = (options.baseUrl ?? env.MUSICPUB_BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
    const key = options.apiKey ?? env.MUSICPUB_API_KEY;
    this.#key = key ? new Secret(key) : undefined;
    this.#keyId = options.keyId ?? env.MUSICPUB_KEY_ID;
    this.#auth = options.auth ?? 'apiKey';
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#onRetry = options.onRetry;
    this.#random = options.random ?? Math.random;
    this.#retry = options.retry === false ? { ...RETRY_DEFAULTS, maxAttempts: 1 } : { ...RETRY_DEFAULTS, ...options.retry };
    if ((this.#auth === 'oauth' || options.signing) && !this.#keyId) {
      throw new Error('musicpub client: keyId (or MUSICPUB_KEY_ID) is needed for OAuth tokens and for signed requests');
    }
    if (this.#auth === 'oauth' && !this.#key) throw new Error('musicpub client: an API key (apiKey or MUSICPUB_API_KEY) is needed to obtain tokens');
    this.#signer = options.signing ? new RequestSigner(this.#keyId!, options.signing) : undefined;
    this.#tokens =
      this.#auth === 'oauth'
        ? new ClientCredentialsTokens(
            { keyId: this.#keyId!, key: this.#key!, scope: options.scope, refreshSkewSeconds: options.refreshSkewSeconds, now: options.now ?? Date.now },
            (path, body) =>
              this.send(`${this.baseUrl}${path}`, 'POST', new Headers({ 'Content-Type': 'application/x-www-form-urlencoded' }), new TextEncoder().encode(body.toString()), {
                authenticate: false,
              }),
          )
        : undefined;

    this.api = createClient<paths>({ baseUrl: this.baseUrl, fetch: (request: Request) => this.sendRequest(request) });
    const throwing = <M extends 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'>(method: M) =>
      (async (url: string, init?: object) => {
        const result = await (this.api[method] as (url: string, init?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>)(url, init);
        if (!result.response.ok) {
          const text = typeof result.error === 'string' ? result.error : result.error === undefined ? '' : JSON.stringify(result.error);
          throw new ProblemError(problemOf(result.response.status, result.response.statusText, result.response.headers.get('content-type'), text), result.response.headers);
        }
        return result.data;
      }) as never;
    this.get = throwing('GET');
    this.post = throwing('POST');
    this.put = throwing('PUT');
    this.patch = throwing('PATCH');
    this.delete = throwing('DELETE');
  }

  /** A Request from openapi-fetch, sent through the transport. */
  private async sendRequest(request: Request): Promise<Response> {
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    return this.send(request.url, request.method, new Headers(request.headers), body, { authenticate: true, signal: request.signal });
  }

  /**
   * One logical request: the Idempotency-Key is chosen once and reused by
   * every attempt, so a retry after a lost response is answered with the
   * stored first response instead of doing the work twice. Credentials and
   * the signature are made per attempt (a fresh token, a fresh nonce).
   */
  private async send(
    url: string,
    method: string,
    headers: Headers,
    body: Uint8Array | undefined,
    options: { authenticate: boolean; signal?: AbortSignal },
  ): Promise<Response> {
    method = method.toUpperCase();
    if (options.authenticate && KEYED_METHODS.has(method) && !headers.has('idempotency-key')) headers.set('Idempotency-Key', randomUUID());
    const idempotencyKey = headers.get('idempotency-key') ?? undefined;
    let refreshedAfter401 = false;
    for (let attempt = 1; ; attempt++) {
      const attemptHeaders = new Headers(headers);
      if (options.authenticate) await this.authorize(attemptHeaders);
      if (this.#signer) await this.#signer.sign({ method, url, headers: attemptHeaders, body });
      let response: Response;
      try {
        response = await this.#fetch(url, { method, headers: attemptHeaders, body: body as RequestInit['body'], signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted || attempt >= this.#retry.maxAttempts) throw error;
        await this.wait({ method, url, attempt, reason: 'network', idempotencyKey, delayMs: backoffMs(attempt, this.#retry, this.#random) }, options.signal);
        continue;
      }
      // A token refused before its time (key rotated, signing key changed): one new token, one more try.
      if (response.status === 401 && this.#tokens && options.authenticate && !refreshedAfter401) {
        refreshedAfter401 = true;
        this.#tokens.invalidate();
        await response.body?.cancel();
        attempt--;
        continue;
      }
      const reason = await this.retryReason(response);
      if (reason === undefined || attempt >= this.#retry.maxAttempts) return response;
      const asked = retryAfterMs(response.headers.get('retry-after'));
      const delayMs = Math.min(this.#retry.maxDelayMs, asked ?? backoffMs(attempt, this.#retry, this.#random));
      await response.body?.cancel();
      await this.wait({ method, url, attempt, reason, idempotencyKey, delayMs }, options.signal);
    }
  }

  private async retryReason(response: Response): Promise<RetryEvent['reason'] | undefined> {
    if (response.status === 429 || response.status === 503) return response.status;
    if (response.status !== 409) return undefined;
    // Only the in-flight conflict is transient; a 409 about the resource (not a draft…) is an answer.
    const problem = await response
      .clone()
      .json()
      .catch(() => undefined);
    return IN_USE.test(String((problem as { type?: unknown } | undefined)?.type ?? '')) ? 409 : undefined;
  }

  private async wait(event: RetryEvent, signal?: AbortSignal): Promise<void> {
    this.#onRetry?.(event);
    await sleep(event.delayMs, signal);
  }

  private async authorize(headers: Headers): Promise<void> {
    if (this.#tokens) headers.set('Authorization', `Bearer ${await this.#tokens.token()}`);
    else if (this.#key) headers.set('X-API-Key', this.#key.reveal());
  }

  /** What the client is, never its credentials. */
  toJSON(): object {
    return { baseUrl: this.baseUrl, auth: this.#auth, keyId: this.#keyId, apiKey: this.#key ? '[redacted]' : undefined, signing: this.#signer?.toJSON() };
  }

  [INSPECT](): string {
    return `MusicpubClient ${JSON.stringify(this.toJSON())}`;
  }
}

/** `new MusicpubClient(options)`. */
export function createMusicpubClient(options?: MusicpubClientOptions): MusicpubClient {
  return new MusicpubClient(options);
}

export { TOKEN_PATH };
