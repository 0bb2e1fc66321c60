import type { AuthPrincipal } from './principal';
import type { AccessTokenClaims } from './token-signer';

/**
 * Turns a presented credential into a principal, or throws Unauthenticated /
 * Forbidden (with the refused key's subject when it could be identified).
 * The platform authenticates through this interface; the api-keys feature
 * implements it and provides it under CREDENTIAL_AUTHENTICATOR, so nothing in
 * src/platform depends on a feature module.
 */
export interface CredentialAuthenticator {
  authenticateKey(presented: string, clientIp: string): Promise<AuthPrincipal>;
  authenticateToken(claims: AccessTokenClaims, clientIp: string): Promise<AuthPrincipal>;
}

export const CREDENTIAL_AUTHENTICATOR = Symbol('CredentialAuthenticator');
