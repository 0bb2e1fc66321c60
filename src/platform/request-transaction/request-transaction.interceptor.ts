import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AUDITED, AuditedOptions } from '../audit/audited.decorator';
import { defaultAction } from '../audit/audit-draft';
import { RequestAuditor } from '../audit/request-auditor';
import { principalOf } from '../auth/principal';
import { requestOf, responseOf } from '../http/http-context';
import { IDEMPOTENT_METHODS, MUTATING_METHODS } from '../http/http-methods';
import { BadRequest } from '../errors/domain-errors';
import { parseIdempotencyKey } from '../idempotency/idempotency-key';
import type { IdempotencyScope } from '../idempotency/idempotency-store';
import { SKIP_IDEMPOTENCY } from '../idempotency/skip-idempotency.decorator';
import { PREPARES_OUTSIDE_TRANSACTION } from './prepares-outside-transaction.decorator';
import { RequestTransaction } from './request-transaction';

/**
 * Hands every mutating request to RequestTransaction (one transaction, one
 * commit), after naming what it does for the audit trail and which
 * Idempotency-Key scope it runs under. Bound to mutating handlers only
 * (pipeline/mutating-routes.ts); a read that reaches it anyway (an @All
 * route) passes straight through.
 */
@Injectable()
export class RequestTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly auditor: RequestAuditor,
    private readonly requests: RequestTransaction,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
    if (!MUTATING_METHODS.has(req.method)) return next.handle();
    this.auditor.describe(req, this.routeAudit(context));
    const res = responseOf(context);
    const prepares = this.reflector.get<boolean>(PREPARES_OUTSIDE_TRANSACTION, context.getHandler()) === true;
    const handler = () => lastValueFrom(next.handle(), { defaultValue: undefined });
    return from(this.requests.handle(req, res, this.idempotencyScope(context, req), prepares, handler));
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
