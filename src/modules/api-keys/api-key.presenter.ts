import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApiKey } from '../../generated/prisma/client';

/** The public shape of a key (API.md §2). Never contains the secret or its hash. */
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
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself. Shown in this response only; store it now.' }) key: string;
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
  };
}

export function presentCreatedApiKey(row: ApiKey, key: string): CreatedApiKeyView {
  return { ...presentApiKey(row), key };
}
