// verifyRequestSignature against signatures made by the `http-message-signatures`
// npm package, the client API guide: Signed requests names: both algorithms, and the
// refusals in the order a client meets them.
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createSigner, httpbis } from 'http-message-signatures';
import { verifyRequestSignature, type SignedRequest, type VerificationKey } from './request-signature';
import { SignatureRefusal } from './signature-refusal';
import { generateSigningSecret, hmacKeyFromSecret } from './signing-keys';

const KEY_ID = 'key_01TEST';
const URL_ = 'https://api.example.com/v1/releases?limit=5';
const BODY = '{"title":"Signed"}';
const DIGEST = `sha-256=:${createHash('sha256').update(BODY).digest('base64')}:`;
const NOW = Math.floor(Date.now() / 1000);

const secret = generateSigningSecret();
const ed = generateKeyPairSync('ed25519');

const CLIENT_KEYS = {
  'hmac-sha256': createSigner(Buffer.from(secret, 'base64'), 'hmac-sha256', KEY_ID),
  ed25519: createSigner(ed.privateKey, 'ed25519', KEY_ID),
};
const SERVER_KEYS: Record<keyof typeof CLIENT_KEYS, VerificationKey> = {
  'hmac-sha256': { keyId: KEY_ID, alg: 'hmac-sha256', key: hmacKeyFromSecret(secret) },
  ed25519: { keyId: KEY_ID, alg: 'ed25519', key: ed.publicKey },
};

interface ClientOptions {
  alg: keyof typeof CLIENT_KEYS;
  fields?: string[];
  nonce?: string;
  created?: Date;
  keyid?: string;
}

/** Signs a POST with the client library, and describes it as the server receives it. */
async function signedPost(options: ClientOptions): Promise<SignedRequest> {
  const signed = await httpbis.signMessage(
    {
      key: CLIENT_KEYS[options.alg],
      name: 'sig1',
      fields: options.fields ?? ['@method', '@target-uri', 'content-digest', 'content-type'],
      params: ['created', 'keyid', 'alg', 'nonce'],
      paramValues: { created: options.created ?? new Date(NOW * 1000), nonce: options.nonce ?? randomUUID(), ...(options.keyid ? { keyid: options.keyid } : {}) },
    },
    { method: 'POST', url: URL_, headers: { 'Content-Type': 'application/json', 'Content-Digest': DIGEST } },
  );
  const headers = signed.headers as Record<string, string>;
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'api.example.com',
    requestTarget: '/v1/releases?limit=5',
    rawHeaders: Object.entries(headers).flat(),
    signatureInput: headers['Signature-Input'],
    signature: headers.Signature,
    contentDigest: headers['Content-Digest'],
    hasBody: true,
  };
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureRefusal) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe.each(['hmac-sha256', 'ed25519'] as const)('verifyRequestSignature with %s', (alg) => {
  it('verifies what http-message-signatures signed, and returns the nonce and the stated body digest', async () => {
    const request = await signedPost({ alg, nonce: 'nonce-0001' });
    const verified = verifyRequestSignature(request, SERVER_KEYS[alg], NOW);
    expect(verified.nonce).toBe('nonce-0001');
    expect(verified.bodyDigest).toEqual(createHash('sha256').update(BODY).digest());
  });

  it('refuses the signature once the method, the target or a covered field differs', async () => {
    const request = await signedPost({ alg });
    expect(reasonOf(() => verifyRequestSignature({ ...request, method: 'PUT' }, SERVER_KEYS[alg], NOW))).toBe('signature_invalid');
    expect(reasonOf(() => verifyRequestSignature({ ...request, requestTarget: '/v1/releases?limit=6' }, SERVER_KEYS[alg], NOW))).toBe('signature_invalid');
    expect(reasonOf(() => verifyRequestSignature({ ...request, scheme: 'http' }, SERVER_KEYS[alg], NOW))).toBe('signature_invalid');
    const otherDigest = request.rawHeaders.map((v) => (v === DIGEST ? `sha-256=:${Buffer.alloc(32).toString('base64')}:` : v));
    expect(reasonOf(() => verifyRequestSignature({ ...request, rawHeaders: otherDigest }, SERVER_KEYS[alg], NOW))).toBe('signature_invalid');
  });

  it('refuses a signature made with another key under this key’s id', async () => {
    const request = await signedPost({ alg });
    const other = alg === 'hmac-sha256'
      ? { ...SERVER_KEYS[alg], key: hmacKeyFromSecret(generateSigningSecret()) }
      : { ...SERVER_KEYS[alg], key: generateKeyPairSync('ed25519').publicKey };
    expect(reasonOf(() => verifyRequestSignature(request, other, NOW))).toBe('signature_invalid');
  });

  it.each<[string, ClientOptions | ((r: SignedRequest) => SignedRequest), string]>([
    ['another key id', { alg, keyid: 'key_other' }, 'signature_keyid'],
    ['no content-digest covered on a body', { alg, fields: ['@method', '@target-uri'] }, 'signature_components'],
    ['no @target-uri covered', { alg, fields: ['@method', '@path', '@authority', 'content-digest'] }, 'signature_components'],
    ['a created 10 minutes old', { alg, created: new Date((NOW - 600) * 1000) }, 'signature_expired'],
    ['a created 10 minutes ahead', { alg, created: new Date((NOW + 600) * 1000) }, 'signature_future'],
    ['a short nonce', { alg, nonce: 'abc' }, 'signature_malformed'],
  ])('refuses %s', async (_label, options, reason) => {
    const request = await signedPost(options as ClientOptions);
    expect(reasonOf(() => verifyRequestSignature(request, SERVER_KEYS[alg], NOW))).toBe(reason);
  });

  it('refuses the other algorithm’s signature by its alg before trying it', async () => {
    const request = await signedPost({ alg: alg === 'ed25519' ? 'hmac-sha256' : 'ed25519' });
    expect(reasonOf(() => verifyRequestSignature(request, SERVER_KEYS[alg], NOW))).toBe('signature_alg');
  });
});
