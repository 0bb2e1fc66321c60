import { Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { SecretBox } from '../../crypto/secret-box';
import { Unauthenticated } from '../auth-errors';
import type { AuthPrincipal, SigningRequirement } from '../principal';
import { assertBodyDigest, bodyDigestMismatch, sha256 } from './body-digest';
import { verifyRequestSignature, type SignedRequest } from './request-signature';
import { RequestNonceStore } from './request-nonce-store';
import { SignatureRefusal } from './signature-refusal';
import { ed25519KeyFromJwk, hmacKeyFromSecret, signingSecretContext } from './signing-keys';
import { digestWhenPiped } from './streamed-body-digest';

/** Bound on the cache of key objects (opened secrets, parsed JWKs), so a request does not pay for AES-GCM and key parsing each time. */
const MAX_CACHED_KEYS = 10_000;

/**
 * Verifies the RFC 9421 signature of a request made with a key that requires
 * one (API guide: Signed requests). Used by RequestSignatureGuard for every authenticated
 * route, and by the token endpoint for the token request itself.
 *
 * The order of checks: the signature fields and their parameters (keyid, alg,
 * created, nonce's form), the covered components, the signature over the
 * rebuilt base; then the body against the covered Content-Digest; the nonce
 * is recorded last, so only a request that verified can use one up.
 * Streamed (multipart) bodies are the exception: their digest is compared as
 * they stream, after the nonce is recorded (see streamed-body-digest.ts).
 */
@Injectable()
export class RequestSignatureVerifier {
  private readonly keys = new Map<string, { source: string; key: KeyObject }>();

  constructor(
    private readonly box: SecretBox,
    private readonly nonces: RequestNonceStore,
  ) {}

  async verify(req: Request, principal: AuthPrincipal & { signing: SigningRequirement }): Promise<void> {
    const subject = { orgId: principal.orgId, keyId: principal.keyId, credential: principal.credential };
    try {
      const request = signedRequestOf(req);
      const verified = verifyRequestSignature(
        request,
        { keyId: principal.keyId, alg: principal.signing.alg, key: this.keyFor(principal.keyId, principal.signing) },
        Math.floor(Date.now() / 1000),
      );
      const digest = verified.bodyDigest;
      const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
      // JSON and form bodies were buffered by body-parser; a multipart body is still to stream.
      const streamed = digest !== undefined && request.hasBody && !Buffer.isBuffer(rawBody);
      if (streamed && !isMultipart(req)) {
        // A body that is neither buffered nor streamed through a check cannot be verified: refused, never skipped.
        throw new SignatureRefusal('content_digest_mismatch', 'The body of this request cannot be checked against its Content-Digest.');
      }
      if (digest && !streamed) assertBodyDigest(digest, sha256(rawBody ?? Buffer.alloc(0)));
      if (!(await this.nonces.remember(principal.keyId, verified.nonce))) {
        throw new SignatureRefusal('signature_replayed', 'This nonce was already used with this key; sign every request with a new nonce.');
      }
      if (streamed) {
        const mismatch = bodyDigestMismatch();
        digestWhenPiped(req, digest, () => new Unauthenticated(mismatch.detail, mismatch.reason, subject));
      }
    } catch (error) {
      if (error instanceof SignatureRefusal) throw new Unauthenticated(error.detail, error.reason, subject);
      throw error;
    }
  }

  /** Entries are keyed by key id and checked against their source, so a changed key needs no eviction. */
  private keyFor(keyId: string, signing: SigningRequirement): KeyObject {
    const source = signing.alg === 'hmac-sha256' ? signing.sealedSecret : JSON.stringify(signing.publicKey);
    const cached = this.keys.get(keyId);
    if (cached && cached.source === source) return cached.key;
    const key =
      signing.alg === 'hmac-sha256'
        ? hmacKeyFromSecret(this.box.open(signing.sealedSecret, signingSecretContext(keyId)))
        : ed25519KeyFromJwk(signing.publicKey);
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.clear();
    this.keys.set(keyId, { source, key });
    return key;
  }
}

function isMultipart(req: Request): boolean {
  return /^multipart\//i.test(req.headers['content-type'] ?? '');
}

/**
 * The request as the client addressed it. The scheme and host honour
 * X-Forwarded-Proto / X-Forwarded-Host only from TRUSTED_PROXIES (Express's
 * `trust proxy`, set from them), so behind a TLS-terminating proxy the client
 * signs the https URL it used; `originalUrl` is the request target as sent.
 */
function signedRequestOf(req: Request): SignedRequest {
  const length = req.headers['content-length'];
  return {
    method: req.method,
    scheme: req.protocol,
    authority: req.host ?? '',
    requestTarget: req.originalUrl,
    rawHeaders: req.rawHeaders,
    signatureInput: req.headers['signature-input'],
    signature: req.headers.signature,
    contentDigest: req.headers['content-digest'],
    hasBody: req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'),
  };
}
