// Issue 10: a client that signs every request (RFC 9421, API guide: Signed requests) fast
// enough not to be the bottleneck. autocannon's setupRequest is synchronous,
// so the signature base is built here directly — the same bytes the
// `http-message-signatures` package produces for ("@method" "@target-uri"),
// which the e2e tests use as the reference client.
import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

/** Creates a key requiring `alg` signatures (with `adminKey`), and returns it with a synchronous signer. */
export async function createSigningClient(serverUrl, adminKey, alg) {
  const pair = alg === 'ed25519' ? generateKeyPairSync('ed25519') : undefined;
  const res = await fetch(`${serverUrl}/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
    body: JSON.stringify({
      name: `bench ${alg}`,
      scopes: ['releases:read'],
      requireSignedRequests: alg,
      ...(pair ? { signingPublicKey: pair.publicKey.export({ format: 'jwk' }) } : {}),
    }),
  });
  if (res.status !== 201) throw new Error(`creating a ${alg} signing key failed: ${res.status} ${await res.text()}`);
  const created = await res.json();
  const secret = created.signingSecret ? Buffer.from(created.signingSecret, 'base64') : undefined;
  return {
    key: created.key,
    /** Signature-Input and Signature for a body-less request to `url` (a new nonce each time). */
    headers(method, url) {
      const params = `("@method" "@target-uri");created=${Math.floor(Date.now() / 1000)};keyid="${created.id}";alg="${alg}";nonce="${randomUUID()}"`;
      const base = Buffer.from(`"@method": ${method}\n"@target-uri": ${url}\n"@signature-params": ${params}`);
      const signature = secret ? createHmac('sha256', secret).update(base).digest() : sign(null, base, pair.privateKey);
      return { 'signature-input': `sig1=${params}`, signature: `sig1=:${signature.toString('base64')}:` };
    },
  };
}
