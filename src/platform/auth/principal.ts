import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { JsonWebKey } from 'node:crypto';
import type { Request } from 'express';
import { requestOf } from '../http/http-context';
import type { Scope } from './scopes';

/**
 * Who is calling, as established by the auth guard. Every repository method
 * takes `orgId` from here, so tenancy is structural: a handler cannot forget it.
 */
export interface AuthPrincipal {
  orgId: string;
  /** The API key behind the request (for tokens: the key the token was issued from, its `sub`). */
  keyId: string;
  credential: 'api_key' | 'token';
  scopes: readonly Scope[];
  /** The token's `jti` when credential is 'token'. */
  tokenId?: string;
  /**
   * Set when the key requires signed requests (API guide: Signed requests), for the key and
   * every token issued from it; RequestSignatureGuard verifies against it.
   */
  signing?: SigningRequirement;
}

/** What a key's request signatures are verified with. Never rendered or logged. */
export type SigningRequirement =
  | { alg: 'hmac-sha256'; /** SecretBox-sealed base64 secret. */ sealedSecret: string }
  | { alg: 'ed25519'; /** The client's public JWK. */ publicKey: JsonWebKey };

export type AuthenticatedRequest = Request & { principal?: AuthPrincipal };

/** Names who a request acts as, for a route that authenticates its caller itself (the token endpoint). */
export function attachPrincipal(req: Request, principal: AuthPrincipal): void {
  (req as AuthenticatedRequest).principal = principal;
}

export function principalOf(req: Request): AuthPrincipal | undefined {
  return (req as AuthenticatedRequest).principal;
}

/** Injects the authenticated principal into a handler parameter. */
export const Principal = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthPrincipal => {
  const principal = principalOf(requestOf(ctx));
  // The global auth guard runs first; reaching here without a principal is a wiring bug.
  if (!principal) throw new Error('No authenticated principal on this request');
  return principal;
});
