import { HttpException } from '@nestjs/common';
import type { Request } from 'express';
import { classifyDatabaseError } from '../database/database-errors';
import { DomainError, ProblemDocument, defaultProblemType, problemType, titleFor } from './domain-errors';

export interface RenderedError {
  problem: ProblemDocument;
  headers?: Record<string, string>;
}

/**
 * The one mapping from any error to its problem document (RFC 9457) and
 * status: domain errors render themselves; Nest's, body-parser's, multer's
 * and the database's are mapped here. Safe by construction: for 5xx nothing
 * of the error's own message reaches the client.
 */
export function renderError(error: unknown, req: Pick<Request, 'method' | 'path'>): RenderedError {
  if (error instanceof DomainError) {
    return { problem: error.toProblem(), headers: error.options.headers };
  }
  // Nest wraps body-parser's errors (and a malformed %-encoding in the URL)
  // in HttpExceptions whose message is the parser's; render from the cause.
  const cause = error instanceof HttpException ? error.cause : error;
  const parserProblem = renderBodyParserError(cause);
  if (parserProblem) return { problem: parserProblem };
  if (cause instanceof URIError) return { problem: simple(400, 'The request URL is malformed.') };
  if (error instanceof HttpException) {
    return renderHttpException(error, req);
  }
  const multerProblem = renderMulterError(error);
  if (multerProblem) return { problem: multerProblem };

  if (isOutOfStorage(error)) {
    return { problem: simple(507, 'The server has no room left to store this; nothing was kept. Retry later.', 'insufficient-storage') };
  }

  const database = classifyDatabaseError(error);
  if (database === 'unavailable') {
    return {
      problem: simple(503, 'The database is unavailable; retry shortly.'),
      headers: { 'Retry-After': '1' },
    };
  }
  if (database === 'unique-violation') return { problem: simple(409, 'A resource with the same unique value already exists.') };
  if (database === 'invalid-text') return { problem: simple(400, 'The request contains characters that cannot be stored.') };
  if (database === 'not-found') return { problem: simple(404, 'The resource does not exist.') };
  return { problem: simple(500, 'An unexpected error occurred. Quote the request id when reporting it.') };
}

function simple(status: number, detail: string, slug?: string): ProblemDocument {
  return { type: slug ? problemType(slug) : defaultProblemType(status), title: titleFor(status), status, detail };
}

function renderHttpException(error: HttpException, req: Pick<Request, 'method' | 'path'>): RenderedError {
  const status = error.getStatus();
  const body = error.getResponse();
  if (status === 404 && isRouteNotFound(body)) {
    return { problem: simple(404, `No route matches ${req.method} ${req.path}.`) };
  }
  // Nest's own exceptions carry developer-facing messages that are safe for
  // 4xx (they describe the request); for 5xx we never echo them.
  let detail: string | undefined;
  if (status < 500) {
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : undefined;
  }
  const problem = simple(status, detail ?? titleFor(status));
  const extra = typeof body === 'object' && body !== null ? (body as { problem?: Partial<ProblemDocument> }).problem : undefined;
  return { problem: { ...problem, ...extra } };
}

function isRouteNotFound(body: unknown): boolean {
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message.startsWith('Cannot ');
}

/** body-parser (express.json/urlencoded) signals errors with a `type` field. */
function renderBodyParserError(error: unknown): ProblemDocument | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return undefined;
  switch (type) {
    case 'entity.too.large':
      return simple(413, 'The request body is larger than this endpoint accepts.');
    case 'entity.parse.failed':
      return simple(400, 'The request body is not valid JSON.', 'malformed-body');
    case 'entity.encoding.invalid':
      return simple(400, 'The request body is not valid UTF-8.', 'malformed-body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return simple(415, 'The request body uses an unsupported encoding or charset.');
    case 'request.aborted':
    case 'request.size.invalid':
      return simple(400, 'The request body was incomplete.');
    case 'parameters.too.many':
      return simple(413, 'The form has too many parameters.');
    default:
      return undefined;
  }
}

const MULTER_LIMITS: Record<string, [number, string]> = {
  LIMIT_FILE_SIZE: [413, 'The file is larger than the upload limit.'],
  LIMIT_PART_COUNT: [400, 'The form has too many parts.'],
  LIMIT_FILE_COUNT: [400, 'Send exactly one file, in the part named "file".'],
  LIMIT_FIELD_KEY: [400, 'A form field name is too long.'],
  LIMIT_FIELD_VALUE: [400, 'A form field value is too long.'],
  LIMIT_FIELD_COUNT: [400, 'The form has too many fields.'],
  LIMIT_UNEXPECTED_FILE: [400, 'Send exactly one file, in the part named "file".'],
};

function renderMulterError(error: unknown): ProblemDocument | undefined {
  const e = error as { name?: unknown; code?: unknown } | null;
  if (e?.name !== 'MulterError' || typeof e.code !== 'string') return undefined;
  const [status, detail] = MULTER_LIMITS[e.code] ?? [400, 'The multipart body is malformed.'];
  return simple(status, detail);
}

/**
 * A full disk (ENOSPC) or an exhausted quota (EDQUOT), anywhere in the
 * error's cause chain: the server's condition, not a bug and not the
 * client's fault (RFC 4918 §11.5, 507 Insufficient Storage).
 */
export function isOutOfStorage(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
