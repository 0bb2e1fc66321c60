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
  /**
   * Answers at once (a principal, or a thrown error) when the key's state is
   * already known to the process, and with a promise when it has to be looked
   * up: most requests carry a key seen within the last second.
   */
  authenticateKey(presented: string, clientIp: string): AuthPrincipal | Promise<AuthPrincipal>;
  authenticateToken(claims: AccessTokenClaims, clientIp: string): Promise<AuthPrincipal>;
}

export const CREDENTIAL_AUTHENTICATOR = Symbol('CredentialAuthenticator');
