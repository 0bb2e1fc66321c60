import type { SecretBox } from '../../platform/crypto/secret-box';

/**
 * The SecretBox context of an endpoint's secrets. It binds a ciphertext to its
 * endpoint (a sealed secret copied into another row does not open), and is the
 * same for the current and the previous secret, so rotation moves the sealed
 * value from one column to the other without re-encrypting it.
 */
export function endpointSecretContext(endpointId: string): string {
  return `webhook-endpoint-secret:${endpointId}`;
}

export interface SealedEndpointSecrets {
  id: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

/** The secrets a delivery is signed with now: the current one, plus the previous one during its grace period. */
export function signingSecrets(box: SecretBox, endpoint: SealedEndpointSecrets, now = new Date()): string[] {
  const context = endpointSecretContext(endpoint.id);
  const secrets = [box.open(endpoint.secretSealed, context)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(box.open(endpoint.previousSecretSealed, context));
  }
  return secrets;
}
