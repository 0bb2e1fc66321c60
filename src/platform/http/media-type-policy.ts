import type { NextFunction, Request, Response } from 'express';
import { UnsupportedMediaType } from '../errors/domain-errors';

/**
 * Which body media types a request may carry (API guide: Conventions: otherwise 415).
 * JSON everywhere; form encoding only where OAuth requires it (RFC 6749 §4.4.2);
 * multipart only on the upload endpoint. Checked before any body is parsed.
 */
const EXCEPTIONS: Array<{ path: RegExp; types: string[] }> = [
  { path: /^\/v1\/oauth\/token\/?$/, types: ['application/json', 'application/x-www-form-urlencoded'] },
  { path: /^\/v1\/uploads\/?$/, types: ['multipart/form-data'] },
];
const DEFAULT_TYPES = ['application/json'];

export function acceptedMediaTypes(path: string): string[] {
  return EXCEPTIONS.find((e) => e.path.test(path))?.types ?? DEFAULT_TYPES;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function mediaTypePolicy(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req)) return next();
  const declared = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const accepted = acceptedMediaTypes(req.path);
  const ok = accepted.some((type) => type === declared || (type === 'application/json' && /^application\/[a-z0-9.+-]+\+json$/.test(declared)));
  if (ok) return next();
  next(new UnsupportedMediaType(`This endpoint accepts ${accepted.join(' or ')} bodies${declared ? `, not ${declared}` : ''}.`));
}
