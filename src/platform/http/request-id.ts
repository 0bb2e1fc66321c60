import { randomIdBytes } from '../random-pool';
import type { NextFunction, Request, Response } from 'express';
import { containsSecretShape } from '../audit/secret-shapes';

/**
 * Echo a sane incoming X-Request-Id, else mint one (API guide: Conventions). "Sane" is
 * bounded and limited to token characters so a client cannot inject log lines
 * or oversized values through it.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function resolveRequestId(incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  // The id goes on every log line and audit event: a credential sent as one is not echoed.
  if (value !== undefined && SANE_REQUEST_ID.test(value) && !containsSecretShape(value)) return value;
  // 128 random bits as 32 hex digits (a UUID with its dashes removed by a regex cost four times as much).
  return `req_${randomIdBytes(16).toString('hex')}`;
}

export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const id = resolveRequestId(req.headers['x-request-id']);
  (req as Request & { id: string }).id = id;
  res.setHeader('X-Request-Id', id);
  next();
}

export function requestIdOf(req: Request): string | undefined {
  return (req as Request & { id?: string }).id;
}
