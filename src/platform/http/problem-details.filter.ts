import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestAuditor } from '../audit/request-auditor';
import { OAuthError } from '../auth/oauth-error';
import type { AuthSubject } from '../auth/auth-errors';
import { classifyDatabaseError } from '../database/database-errors';
import {
  DomainError,
  PROBLEM_CONTENT_TYPE,
  ProblemDocument,
  defaultProblemType,
  problemType,
  titleFor,
} from './problem-details';
import { requestIdOf } from './request-id';

interface Rendered {
  problem: ProblemDocument;
  headers?: Record<string, string>;
}

/**
 * The one place every error becomes RFC 9457 problem+json. Whatever reaches
 * here, the client sees a status, a title and a safe detail; stacks, SQL,
 * file paths and driver messages stay in the server log.
 */
const TOKEN_ENDPOINT = /^\/v1\/oauth\/token\/?$/;

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private lastUnavailableLog = 0;

  /** With an auditor, every failed request the trail keeps is recorded here (API.md §9): the pipeline records only successes. */
  constructor(private readonly auditor?: RequestAuditor) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    // The token endpoint speaks OAuth's error format (RFC 6749 §5.2) for
    // everything about the request itself, unparseable bodies included.
    if (!(error instanceof OAuthError) && TOKEN_ENDPOINT.test(req.path)) {
      const { problem } = this.render(error, req);
      if (req.method === 'POST' && problem.status === 400) {
        error = new OAuthError('invalid_request', problem.detail ?? 'The request is malformed.', 400);
      }
    }
    if (error instanceof OAuthError && !res.headersSent) {
      this.afterAudit(req, error, error.status, error.error, () =>
        res.status(error.status).set({ ...error.headers, 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(error.toBody()),
      );
      return;
    }
    const { problem, headers } = this.render(error, req);
    this.afterAudit(req, error, problem.status, typeof problem.reason === 'string' ? problem.reason : undefined, () =>
      this.send(req, res, error, problem, headers),
    );
  }

  /** Records the failure, then answers (so a client that sees the answer can find the event). */
  private afterAudit(req: Request, error: unknown, status: number, reason: string | undefined, send: () => void): void {
    if (!this.auditor) return send();
    const subject = (error as { subject?: AuthSubject } | null)?.subject;
    this.auditor.recordFailure(req, status, reason, subject).then(send, (auditError: unknown) => {
      this.logger.error({ err: auditError, requestId: requestIdOf(req) }, 'could not record the failure in the audit trail');
      send();
    });
  }

  private send(req: Request, res: Response, error: unknown, problem: ProblemDocument, headers?: Record<string, string>): void {
    if (problem.status === 503) {
      // An outage answers every request with 503: one line a second says so
      // without burying the log in identical stacks.
      const now = Date.now();
      if (now - this.lastUnavailableLog >= 1000) {
        this.lastUnavailableLog = now;
        this.logger.warn({ requestId: requestIdOf(req), cause: error instanceof Error ? error.message.slice(0, 200) : undefined }, 'a backing service is unavailable; answering 503');
      }
    } else if (problem.status >= 500) {
      this.logger.error({ err: error, requestId: requestIdOf(req) }, `${req.method} ${req.path} failed`);
    }
    if (res.headersSent) {
      // A streamed response failed midway: the status is gone, cut the body.
      res.destroy();
      return;
    }
    problem.requestId = requestIdOf(req);
    problem.instance ??= req.path;
    res.status(problem.status);
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('ETag');
    res.send(JSON.stringify(problem));
  }

  private render(error: unknown, req: Request): Rendered {
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
}

function simple(status: number, detail: string, slug?: string): ProblemDocument {
  return { type: slug ? problemType(slug) : defaultProblemType(status), title: titleFor(status), status, detail };
}

function renderHttpException(error: HttpException, req: Request): Rendered {
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
