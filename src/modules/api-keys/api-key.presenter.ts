import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { JsonWebKey } from 'node:crypto';
import type { ApiKey } from '../../generated/prisma/client';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../../platform/auth/signatures/signing-keys';

/** The public shape of a key (API guide: API keys and rotation). Never contains the secret or its hash. */
export class ApiKeyView {
  @ApiProperty({ example: 'key_01JF3Z…' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'mpk_live_AbC123', description: 'Non-secret start of the key, to tell keys apart.' }) prefix: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: [String] }) allowedIps: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) rotatedFromId: string | null;
  @ApiProperty({ enum: SIGNATURE_ALGORITHMS, nullable: true, description: 'Whether requests with this key must be signed (RFC 9421), and how.' })
  requireSignedRequests: SignatureAlgorithm | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The registered Ed25519 public JWK (ed25519 keys only).' })
  signingPublicKey: JsonWebKey | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself. Shown in this response only; store it now.' }) key: string;
  @ApiPropertyOptional({
    description: 'hmac-sha256 keys only: the base64 signing secret (32 bytes; the HMAC key is the decoded bytes). Shown in this response only.',
  })
  signingSecret?: string;
}

export class ApiKeyPageView {
  @ApiProperty({ type: [ApiKeyView] }) data: ApiKeyView[];
  @ApiPropertyOptional({ type: String, nullable: true }) nextCursor: string | null;
}

export function presentApiKey(row: ApiKey): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    allowedIps: row.allowedIps,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    rotatedFromId: row.rotatedFromId,
    requireSignedRequests: (row.signatureAlg as SignatureAlgorithm | null) ?? null,
    signingPublicKey: (row.signingPublicKey as JsonWebKey | null) ?? null,
  };
}

export function presentCreatedApiKey(row: ApiKey, key: string, signingSecret?: string): CreatedApiKeyView {
  return { ...presentApiKey(row), key, ...(signingSecret ? { signingSecret } : {}) };
}

export class RevokeAllResultView {
  @ApiProperty({ description: 'How many keys were revoked.' }) revoked: number;
  @ApiProperty({ type: [String] }) keyIds: string[];
}
