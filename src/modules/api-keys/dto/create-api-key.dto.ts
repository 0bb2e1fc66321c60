import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import type { JsonWebKey } from 'node:crypto';
import { SCOPES, Scope } from '../../../platform/auth/scopes';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../../../platform/auth/signatures/signing-keys';
import { IsSingleLineText } from '../../../platform/http/field-validators';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Distributor sync' })
  @IsSingleLineText()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: SCOPES, isArray: true, description: 'At most the scopes of the calling credential. No wildcard exists.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true, message: `each value in scopes must be one of: ${SCOPES.join(', ')}` })
  scopes: Scope[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; must be in the future.' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 50, example: ['203.0.113.0/24', '2001:db8::/32'], description: 'IPv4/IPv6 CIDRs the key may be used from; empty = anywhere.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedIps?: string[];

  @ApiPropertyOptional({
    enum: SIGNATURE_ALGORITHMS,
    description:
      'Require RFC 9421 signed requests from this key and every token issued from it (API guide: Signed requests). ' +
      'hmac-sha256: the response carries a signingSecret, once. ed25519: send signingPublicKey.',
  })
  @IsOptional()
  @IsIn(SIGNATURE_ALGORITHMS, { message: `requireSignedRequests must be one of: ${SIGNATURE_ALGORITHMS.join(', ')}` })
  requireSignedRequests?: SignatureAlgorithm;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
    description: 'With requireSignedRequests "ed25519": the public key the client signs with, as a JWK (RFC 8037). Never the private key.',
  })
  @IsOptional()
  @IsObject()
  signingPublicKey?: JsonWebKey;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 2592000, default: 86400, description: 'Seconds the old key keeps working; 0 = stops at once.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  gracePeriodSeconds?: number;
}

export class RevokeAllApiKeysDto {
  @ApiPropertyOptional({ example: 'key_01JF3Z…', description: 'A key of this organization to leave working (e.g. the one made for the recovery).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  exceptKeyId?: string;

  @ApiPropertyOptional({ default: false, description: 'Revoke the calling key too; by default it is spared so the responder keeps access.' })
  @IsOptional()
  @IsBoolean()
  includeSelf?: boolean;
}
