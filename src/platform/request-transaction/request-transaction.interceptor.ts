import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AUDITED, AuditedOptions } from '../audit/audited.decorator';
import { defaultAction } from '../audit/audit-draft';
import { RequestAuditor } from '../audit/request-auditor';
import { principalOf } from '../auth/principal';
import { Db } from '../database/db';
import { IDEMPOTENT_METHODS, MUTATING_METHODS } from '../http/http-methods';
import { BadRequest } from '../http/problem-details';
import { parseIdempotencyKey, requestFingerprint } from '../idempotency/idempotency-key';
import { IdempotencyScope, IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store';
import { SKIP_IDEMPOTENCY } from '../idempotency/skip-idempotency.decorator';
import { OUTSIDE_REQUEST_TRANSACTION } from './outside-request-transaction.decorator';

/** Response headers a replay must repeat (API.md §7). */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type', 'cache-control'];

/**
 * Every mutating request is one database transaction and one commit (API.md
 * §7, §9): the Idempotency-Key claim, the change, its outbox event, the
 * stored replayable response and the audit event commit together or not at
 * all. Services' own transaction() calls join it.
 *
 * Order inside the transaction: claim the key (a try-lock: a concurrent
 * duplicate gets 409 at once) → handler → store the response → append the
 * audit event (last: it locks the organization's chain head) → commit.
 * A failure rolls everything back and the error filter records it, through
 * the same RequestAuditor.
 */
@Injectable()
export class RequestTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: Db,
    private readonly auditor: RequestAuditor,
    private readonly idempotency: IdempotencyStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    if (!MUTATING_METHODS.has(req.method)) return next.handle();
    this.auditor.describe(req, this.routeAudit(context));
    const res = context.switchToHttp().getResponse<Response>();
    if (this.reflector.get<boolean>(OUTSIDE_REQUEST_TRANSACTION, context.getHandler())) {
      return from(this.runOutsideTransaction(next, req, res));
    }
    return from(this.run(next, req, res, this.idempotencyScope(context, req)));
  }

  private run(next: CallHandler, req: Request, res: Response, scope: IdempotencyScope | undefined): Promise<unknown> {
    const fingerprint = scope ? requestFingerprint(req.method, req.path, req.body) : '';
    return this.db.withTransaction(async () => {
      if (scope) {
        const claim = await this.idempotency.claimWithin(scope, fingerprint);
        if (claim.kind === 'replay') return this.replay(claim.response, req, res);
      }
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      if (scope) await this.idempotency.completeWithin(scope, fingerprint, captureResponse(res, result));
      await this.auditor.appendSuccess(req, res.statusCode, result);
      return result;
    });
  }

  private async runOutsideTransaction(next: CallHandler, req: Request, res: Response): Promise<unknown> {
    const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    await this.auditor.recordSuccess(req, res.statusCode, result);
    return result;
  }

  private async replay(stored: StoredResponse, req: Request, res: Response): Promise<unknown> {
    res.status(stored.status);
    for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    const body: unknown = stored.body === '' ? undefined : JSON.parse(stored.body);
    await this.auditor.appendSuccess(req, stored.status, body, { idempotentReplay: true });
    return body;
  }

  /** The org+credential+key this request's Idempotency-Key is scoped to, or undefined. */
  private idempotencyScope(context: ExecutionContext, req: Request): IdempotencyScope | undefined {
    const parsed = parseIdempotencyKey(req.headers['idempotency-key']);
    if (!parsed || !IDEMPOTENT_METHODS.has(req.method)) return undefined;
    if (this.reflector.get<boolean>(SKIP_IDEMPOTENCY, context.getHandler())) return undefined;
    const principal = principalOf(req);
    if (!principal) return undefined; // public routes (token endpoint, partner callbacks) ignore the header: they have their own dedup
    if (!parsed.ok) throw new BadRequest(parsed.reason, [{ field: 'Idempotency-Key', message: parsed.reason }]);
    return { orgId: principal.orgId, credentialId: principal.keyId, key: parsed.key };
  }

  private routeAudit(context: ExecutionContext): { action: string; resourceType: string } {
    const options = this.reflector.get<AuditedOptions | undefined>(AUDITED, context.getHandler()) ?? {};
    const fallback = defaultAction(this.reflector.get<string>(PATH_METADATA, context.getClass()) ?? '', context.getHandler().name);
    return { action: options.action ?? fallback.action, resourceType: options.resourceType ?? fallback.resourceType };
  }
}

function captureResponse(res: Response, result: unknown): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: res.statusCode, headers, body: result === undefined ? '' : JSON.stringify(result) };
}
