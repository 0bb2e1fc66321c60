import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { EVENT_TYPES } from '../../../platform/outbox/event-types';
import { IsOptionalNotNull, IsSingleLineText } from '../../../platform/http/field-validators';
import { PageQuery } from '../../../platform/http/pagination';
import { ALL_EVENTS } from '../delivery/event-routing';
import { MAX_URL_LENGTH } from '../ssrf-guard';

const SUBSCRIBABLE = [ALL_EVENTS, ...EVENT_TYPES];
const EVENTS_MESSAGE = `each value in events must be "*" or one of: ${EVENT_TYPES.join(', ')}`;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://example.com/webhooks/musicpub', maxLength: MAX_URL_LENGTH, description: 'https:// only (http:// when WEBHOOKS_ALLOW_HTTP); must resolve to public addresses.' })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url: string;

  @ApiProperty({ type: [String], example: ['release.status_changed'], description: `Event types, or ["*"] for all: ${EVENT_TYPES.join(', ')}.` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE, { each: true, message: EVENTS_MESSAGE })
  events: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsSingleLineText()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ maxLength: MAX_URL_LENGTH })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE, { each: true, message: EVENTS_MESSAGE })
  events?: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsSingleLineText()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false stops deliveries; true resumes them (and clears an automatic disable).' })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 2592000, default: 86400, description: 'Seconds during which deliveries carry a signature with the previous secret too.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  gracePeriodSeconds?: number;
}

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'delivering', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivering', 'delivered', 'failed'])
  status?: 'pending' | 'delivering' | 'delivered' | 'failed';
}
