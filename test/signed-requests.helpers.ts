// Shared by the signed-request e2e files: keys that require signatures, and
// requests signed the way a client does it, with the `http-message-signatures`
// npm package (API guide: Signed requests names it as the reference client).
import { createHash, generateKeyPairSync, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { createSigner, httpbis } from 'http-message-signatures';
import type supertest from 'supertest';
import type { TestApp } from './helpers/test-app';

export type Res = supertest.Response;
export type SigningAlg = 'hmac-sha256' | 'ed25519';

/** The host clients address; sent as Host, so the server rebuilds https?://API_HOST/… as @target-uri. */
export const API_HOST = 'api.musicpub.test';
export const API_ORIGIN = `http://${API_HOST}`;
export const DEFAULT_FIELDS = ['@method', '@target-uri', 'content-digest', 'content-type'];
export const RELEASE = JSON.stringify({ title: 'Signed and sealed', artists: ['The Verifiers'] });

export interface SigningKey {
  keyId: string;
  /** The API key itself (X-API-Key / client_secret). */
  key: string;
  alg: SigningAlg;
  /** What the client signs with: the HMAC key bytes, or its Ed25519 private key. */
  signWith: Buffer | KeyObject;
  /** hmac-sha256: the base64 secret as the server returned it. */
  signingSecret?: string;
  /** ed25519: the public JWK registered with the key. */
  publicJwk?: JsonWebKey;
}

/** Creates a key that requires signed requests, through the API, with `admin`'s (unsigned) key. */
export async function createSigningKey(t: TestApp, admin: { key: string }, alg: SigningAlg, body: Record<string, unknown> = {}): Promise<SigningKey> {
  const pair = alg === 'ed25519' ? generateKeyPairSync('ed25519') : undefined;
  const publicJwk = pair?.publicKey.export({ format: 'jwk' });
  const res = await t.http
    .post('/v1/api-keys')
    .set('X-API-Key', admin.key)
    .send({ name: `signing ${alg}`, scopes: ['releases:read', 'releases:write', 'keys:read', 'keys:write', 'uploads:read', 'uploads:write', 'audit:read'], requireSignedRequests: alg, ...(publicJwk ? { signingPublicKey: publicJwk } : {}), ...body });
  if (res.status !== 201) throw new Error(`could not create a signing key: ${res.status} ${JSON.stringify(res.body)}`);
  const created = res.body as { id: string; key: string; signingSecret?: string };
  return {
    keyId: created.id,
    key: created.key,
    alg,
    signWith: pair ? pair.privateKey : Buffer.from(created.signingSecret!, 'base64'),
    signingSecret: created.signingSecret,
    publicJwk,
  };
}

export function contentDigestOf(body: string | Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export interface SignOptions {
  method: string;
  /** Path and query, as sent. */
  path: string;
  body?: string | Buffer;
  contentType?: string;
  /** Components to cover; default DEFAULT_FIELDS (content-digest and content-type only when there is a body). */
  fields?: string[];
  label?: string;
  /** Parameter overrides; `null` leaves a parameter out. */
  keyid?: string | null;
  alg?: string | null;
  nonce?: string | null;
  created?: Date;
  expires?: Date;
  /** Sign for this origin instead of API_ORIGIN. */
  origin?: string;
  /** Sign with other material (another key's secret, say) under this key's id. */
  signWith?: Buffer | KeyObject;
  /** Headers sent and available for covering. */
  headers?: Record<string, string>;
}

/** The headers of a signed request: Host, Content-Type and Content-Digest (with a body), Signature-Input, Signature. */
export async function signedHeaders(key: SigningKey, options: SignOptions): Promise<Record<string, string>> {
  const hasBody = options.body !== undefined;
  const headers: Record<string, string> = {
    Host: API_HOST,
    ...(hasBody ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Digest': contentDigestOf(options.body!) } : {}),
    ...options.headers,
  };
  const fields = options.fields ?? DEFAULT_FIELDS.filter((field) => hasBody || (field !== 'content-digest' && field !== 'content-type'));
  const params = ['created', 'keyid', 'alg', 'nonce', ...(options.expires ? ['expires'] : [])].filter(
    (name) => (options as unknown as Record<string, unknown>)[name] !== null,
  );
  const signer = createSigner(options.signWith ?? key.signWith, key.alg, key.keyId);
  const signed = await httpbis.signMessage(
    {
      key: signer,
      name: options.label ?? 'sig1',
      fields,
      params,
      paramValues: {
        created: options.created ?? new Date(),
        nonce: options.nonce ?? randomUUID(),
        ...(options.keyid ? { keyid: options.keyid } : {}),
        ...(options.alg ? { alg: options.alg } : {}),
        ...(options.expires ? { expires: options.expires } : {}),
      },
    },
    { method: options.method, url: `${options.origin ?? API_ORIGIN}${options.path}`, headers },
  );
  return signed.headers as Record<string, string>;
}

/** Sends a request with these exact headers and body bytes, authenticated by `credential` (an API key, or `Bearer <token>`). */
export function send(t: TestApp, credential: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): supertest.Test {
  const test = (t.http as unknown as Record<string, (path: string) => supertest.Test>)[method.toLowerCase()](path);
  test.set(credential.startsWith('Bearer ') ? 'Authorization' : 'X-API-Key', credential);
  for (const [name, value] of Object.entries(headers)) test.set(name, value);
  return body === undefined ? test : test.send(body);
}

/** Signs and sends in one step. */
export async function signed(t: TestApp, key: SigningKey, options: SignOptions & { credential?: string }): Promise<Res> {
  const headers = await signedHeaders(key, options);
  return send(t, options.credential ?? key.key, options.method, options.path, headers, options.body);
}

export function expectSignatureRefused(res: Res, reason: string): void {
  expect({ status: res.status, reason: res.body.reason }).toEqual({ status: 401, reason });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="musicpub"/);
  expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  expect(res.body.type).toMatch(/#unauthenticated$/);
  expect(typeof res.body.detail).toBe('string');
}
