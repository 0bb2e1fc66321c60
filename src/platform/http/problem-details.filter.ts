import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestAuditor } from '../audit/request-auditor';
import { OAUTH_TOKEN_PATH, OAuthError } from '../auth/oauth-error';
import { type AuthSubject, Forbidden, InsufficientScope, Unauthenticated } from '../auth/auth-errors';
import type { Metrics } from '../metrics/metrics';
import { QuotaExceeded } from '../throttling/quota-exceeded.error';
import { PROBLEM_CONTENT_TYPE, ProblemDocument } from '../errors/domain-errors';
import { renderError } from '../errors/error-rendering';
import { requestIdOf } from './request-id';

/**
 * The one place every error is answered: rendered (renderError) as RFC 9457
 * problem+json, recorded by the RequestAuditor, logged when it is the
 * server's fault. The client sees a status, a title and a safe detail;
 * stacks, SQL, file paths and driver messages stay in the server log.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private lastUnavailableLog = 0;

  /** With an auditor, every failed request the trail keeps is recorded here (API guide: Audit trail): the pipeline records only successes. */
  constructor(
    private readonly auditor?: RequestAuditor,
    private readonly metrics?: Metrics,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    // The token endpoint speaks OAuth's error format (RFC 6749 §5.2) for
    // everything about the request itself, unparseable bodies included.
    if (!(error instanceof OAuthError) && isTokenEndpoint(req.path)) {
      const { problem } = renderError(error, req);
      if (req.method === 'POST' && problem.status === 400) {
        error = new OAuthError('invalid_request', problem.detail ?? 'The request is malformed.', 400);
      }
    }
    if (this.metrics) countRefusal(this.metrics, error);
    if (error instanceof OAuthError && !res.headersSent) {
      this.afterAudit(req, error, error.status, error.error, () =>
        res.status(error.status).set({ ...error.headers, 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(error.toBody()),
      );
      return;
    }
    const { problem, headers } = renderError(error, req);
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
    } else if (problem.status === 507) {
      // A full disk is an operations matter, not a bug: a warning without a stack.
      const cause = error as { code?: unknown; syscall?: unknown } | null;
      this.logger.warn({ requestId: requestIdOf(req), code: cause?.code, syscall: cause?.syscall }, `${req.method} ${req.path}: out of storage; answering 507`);
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
}

/** Refusals /metrics reports by reason or policy: every label is one of the code's own constants. */
function countRefusal(metrics: Metrics, error: unknown): void {
  if (error instanceof Unauthenticated) metrics.authRefused(error.reason);
  else if (error instanceof InsufficientScope) metrics.authRefused('insufficient_scope');
  else if (error instanceof Forbidden && error.options.extensions?.reason === 'ip_not_allowed') metrics.authRefused('ip_not_allowed');
  else if (error instanceof OAuthError && error.status === 401) metrics.authRefused(`oauth_${error.error}`);
  else if (error instanceof QuotaExceeded) metrics.throttledBy(error.violated.map((u) => u.name));
}

function isTokenEndpoint(path: string): boolean {
  return path === OAUTH_TOKEN_PATH || path === `${OAUTH_TOKEN_PATH}/`;
}
