import { createHash, createPrivateKey, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { createSigner, httpbis } from 'http-message-signatures';
import { INSPECT } from './secret';

/**
 * How requests are signed (RFC 9421) for a key created with
 * `requireSignedRequests`: `hmac-sha256` with the base64 `signingSecret` the
 * key's creation returned, or `ed25519` with the private half of the public
 * key registered on it (a KeyObject, a PKCS#8 PEM or a private JWK).
 */
export type SigningOptions =
  | { alg: 'hmac-sha256'; secret: string | Uint8Array }
  | { alg: 'ed25519'; privateKey: KeyObject | string | JsonWebKey };

/** The components every signature covers; content-digest and content-type are added when there is a body (what the server requires). */
const ALWAYS = ['@method', '@target-uri'];
/** The label the server reads the signature under. */
const SIGNATURE_LABEL = 'sig1';

export interface MessageToSign {
  method: string;
  url: string;
  headers: Headers;
  body?: Uint8Array;
}

/** Signs each request afresh (created, nonce) with the key's id as keyid; the server refuses replays and stale signatures. */
export class RequestSigner {
  readonly #material: Uint8Array | KeyObject;

  constructor(
    private readonly keyId: string,
    private readonly options: SigningOptions,
  ) {
    this.#material =
      options.alg === 'hmac-sha256'
        ? typeof options.secret === 'string'
          ? Buffer.from(options.secret, 'base64')
          : options.secret
        : typeof options.privateKey === 'string'
          ? createPrivateKey(options.privateKey)
          : 'kty' in options.privateKey
            ? createPrivateKey({ key: options.privateKey, format: 'jwk' })
            : (options.privateKey as KeyObject);
  }

  /** Adds Content-Digest (with a body), Signature-Input and Signature to `message.headers`. */
  async sign(message: MessageToSign): Promise<void> {
    const hasBody = message.body !== undefined && message.body.byteLength > 0;
    if (hasBody) message.headers.set('Content-Digest', `sha-256=:${createHash('sha256').update(message.body!).digest('base64')}:`);
    const fields = [...ALWAYS, ...(hasBody ? ['content-digest', ...(message.headers.has('content-type') ? ['content-type'] : [])] : [])];
    const headers: Record<string, string> = {};
    message.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const signed = await httpbis.signMessage(
      {
        key: createSigner(this.#material as Buffer | KeyObject, this.options.alg, this.keyId),
        name: SIGNATURE_LABEL,
        fields,
        params: ['created', 'keyid', 'alg', 'nonce'],
        paramValues: { created: new Date(), nonce: randomUUID() },
      },
      // WHATWG URL drops a default port, as the server does when it rebuilds @target-uri.
      { method: message.method, url: new URL(message.url).href, headers },
    );
    for (const name of ['Signature', 'Signature-Input']) {
      const value = (signed.headers as Record<string, string | string[]>)[name];
      if (value !== undefined) message.headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }

  [INSPECT](): string {
    return `RequestSigner(${this.options.alg}, keyid=${this.keyId})`;
  }

  toJSON(): object {
    return { alg: this.options.alg, keyId: this.keyId };
  }
}
