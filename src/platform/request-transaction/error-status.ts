import { HttpException } from '@nestjs/common';
import { OAuthError } from '../auth/oauth-error';
import { classifyDatabaseError } from '../database/database-errors';
import { DomainError } from '../http/problem-details';

/** The status ProblemDetailsFilter will answer `error` with (for audit outcomes). */
export function statusOfError(error: unknown): number {
  if (error instanceof DomainError || error instanceof OAuthError) return error.status;
  if (error instanceof HttpException) return error.getStatus();
  const kind = classifyDatabaseError(error);
  if (kind === 'unavailable') return 503;
  if (kind === 'unique-violation') return 409;
  if (kind === 'invalid-text') return 400;
  if (kind === 'not-found') return 404;
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
