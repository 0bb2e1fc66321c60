import { Injectable } from '@nestjs/common';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject, randomUUID } from 'node:crypto';
import { decode, sign, verify } from 'jsonwebtoken';
import { AppConfig, ConfigError } from '../../config/app-config';

export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  org: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
}

export function isAccessTokenClaims(value: unknown): value is AccessTokenClaims {
  const c = value as Partial<AccessTokenClaims> | null;
  return (
    typeof c === 'object' && c !== null &&
    typeof c.sub === 'string' && typeof c.org === 'string' && typeof c.scope === 'string' &&
    typeof c.jti === 'string' && typeof c.iat === 'number' && typeof c.exp === 'number'
  );
}

interface PublishedKey {
  kid: string;
  jwk: JsonWebKey;
  pem: string;
}

/**
 * Signs access tokens with ES256 (ECDSA P-256) and publishes the public keys
 * as a JWKS. The `kid` is the RFC 7638 thumbprint, so it is stable for a key
 * wherever it is loaded. During rotation the previous public key stays in the
 * JWKS and keeps verifying until its tokens have expired.
 * jsonwebtoken is used (rather than jose) because passport-jwt verifies with
 * it: one JWT implementation on both sides.
 */
@Injectable()
export class TokenSigner {
  readonly algorithm = 'ES256' as const;
  private readonly privateKey: KeyObject;
  private readonly current: PublishedKey;
  private readonly published: Map<string, PublishedKey>;

  constructor(private readonly config: AppConfig) {
    this.privateKey = config.jwtPrivateKey
      ? loadPrivateKey(config.jwtPrivateKey)
      : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    this.current = publish(createPublicKey(this.privateKey));
    this.published = new Map([[this.current.kid, this.current]]);
    if (config.jwtPreviousPublicKey) {
      const previous = publish(loadPublicKey(config.jwtPreviousPublicKey));
      this.published.set(previous.kid, previous);
    }
  }

  issue(input: { keyId: string; orgId: string; scopes: readonly string[] }): { token: string; expiresIn: number; claims: AccessTokenClaims } {
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.config.jwtIssuer,
      aud: this.config.jwtAudience,
      sub: input.keyId,
      client_id: input.keyId,
      org: input.orgId,
      scope: input.scopes.join(' '),
      jti: randomUUID(),
      iat: now,
      exp: now + this.config.tokenTtlSeconds,
    };
    const token = sign(claims, this.privateKey, {
      algorithm: this.algorithm,
      keyid: this.current.kid,
      header: { alg: this.algorithm, typ: ACCESS_TOKEN_TYP, kid: this.current.kid },
    });
    return { token, expiresIn: this.config.tokenTtlSeconds, claims };
  }

  /**
   * A compact JWS of `payload` that is not an access token: its own `typ`
   * and no audience, so the bearer-token strategy (which pins typ at+jwt and
   * the audience) never accepts one. Verifiable offline with the JWKS.
   */
  signStatement(payload: Record<string, unknown>, typ: string): string {
    return sign({ ...payload, iss: this.config.jwtIssuer }, this.privateKey, {
      algorithm: this.algorithm,
      keyid: this.current.kid,
      noTimestamp: true,
      header: { alg: this.algorithm, typ, kid: this.current.kid },
    });
  }

  /** The payload of a statement this server signed with type `typ` (under a key it still publishes), or undefined. */
  verifyStatement(jws: string, typ: string): Record<string, unknown> | undefined {
    const header = decode(jws, { complete: true })?.header;
    const key = header?.typ === typ && header.kid ? this.verificationKey(header.kid) : undefined;
    if (!key) return undefined;
    try {
      const payload = verify(jws, key, { algorithms: [this.algorithm], issuer: this.config.jwtIssuer });
      return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The PEM public key for a `kid` this server publishes, or undefined. */
  verificationKey(kid: string): string | undefined {
    return this.published.get(kid)?.pem;
  }

  jwks(): { keys: JsonWebKey[] } {
    return { keys: [...this.published.values()].map((k) => k.jwk) };
  }
}

function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY is not a readable PEM private key');
  }
  assertP256(key, 'JWT_PRIVATE_KEY');
  return key;
}

function loadPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEY is not a readable PEM public key');
  }
  assertP256(key, 'JWT_PREVIOUS_PUBLIC_KEY');
  return key;
}

function assertP256(key: KeyObject, name: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(`${name} must be an EC P-256 key (ES256)`);
  }
}

function publish(publicKey: KeyObject): PublishedKey {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  // RFC 7638 §3: thumbprint over the required members in lexicographic order.
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return {
    kid,
    jwk: { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' },
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
