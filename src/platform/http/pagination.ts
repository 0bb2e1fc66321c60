import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BadRequest } from '../errors/domain-errors';
import { isResourceId } from '../ids';

/**
 * Keyset pagination (API guide: Conventions): newest first by id (ids are time-ordered),
 * `cursor` = the last id of the previous page, opaque to clients. Rows
 * inserted meanwhile sort before the cursor, so a walk never repeats or skips
 * a row that existed when it started.
 */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

/** The id to continue after, or undefined for the first page; 400 for a cursor we did not issue. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && isResourceId(parsed.after)) return parsed.after;
  } catch {
    // fall through to the 400 below
  }
  throw new BadRequest('The cursor is not valid; pass the nextCursor of a previous page.', [
    { field: 'cursor', message: 'cursor must be a nextCursor returned by this endpoint' },
  ]);
}

/** Given up to `limit + 1` rows in id-descending order, builds the page. */
export function toPage<Row extends { id: string }, T>(rows: Row[], limit: number, map: (row: Row) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: hasMore ? encodeCursor(pageRows[pageRows.length - 1].id) : null,
  };
}
