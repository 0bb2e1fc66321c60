import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable, of } from 'rxjs';
import { AuditTrail } from '../audit/audit-trail';
import { AUDITED, AuditedOptions } from '../audit/audited.decorator';
import { auditIdentityOf } from '../audit/audit-actor';
import { AuditDraft, auditedChanges, defaultAction, outcomeFor, requestFacts } from '../audit/audit-draft';
import { principalOf } from '../auth/principal';
import { PrismaService } from '../database/prisma.service';
import { BadRequest } from '../http/problem-details';
import { parseIdempotencyKey, requestFingerprint } from '../idempotency/idempotency-key';
import { IdempotencyScope, IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store';
import { SKIP_IDEMPOTENCY } from '../idempotency/skip-idempotency.decorator';
import { statusOfError } from './error-status';
import { OUTSIDE_REQUEST_TRANSACTION } from './outside-request-transaction.decorator';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const IDEMPOTENT_METHODS = new Set(['POST', 'PATCH']);
/** Response headers a replay must repeat (API.md §7). */
const REPLAYED_HEADERS = ['location', 'etag', 'content-type', 'cache-control'];

export type AuditedRequest = Request & { auditRecorded?: boolean };

/**
 * Every mutating request runs in one database transaction that also holds
 * its audit event and, with an Idempotency-Key, its stored response (API.md
 * §7, §9): the change, the event, the trail and the replayable answer commit
 * together or not at all. Services' own transaction() calls join it.
 *
 * Order: claim the idempotency key (committed at once, so concurrent
 * duplicates see it) → open the transaction → handler → store the response →
 * append the audit event (last: it takes the org's chain lock) → commit.
 * On failure: roll back, free the key, record the failure in the trail.
 */
@Injectable()
export class RequestTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly prisma: PrismaService,
    private readonly audit: AuditTrail,
    private readonly idempotency: IdempotencyStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuditedRequest>();
    if (!MUTATING.has(req.method)) return next.handle();
    return from(this.run(context, next, req, context.switchToHttp().getResponse<Response>()));
  }

  private async run(context: ExecutionContext, next: CallHandler, req: AuditedRequest, res: Response): Promise<unknown> {
    const audit = this.describe(context, req);
    if (this.reflector.get<boolean>(OUTSIDE_REQUEST_TRANSACTION, context.getHandler())) {
      return this.runOutsideTransaction(next, req, res, audit);
    }
    const scope = this.idempotencyScope(context, req);
    const fingerprint = scope ? requestFingerprint(req.method, req.path, req.body) : '';
    // Only the request that holds the claim may free it: a duplicate refused
    // with 409 must not delete the first request's in-flight claim.
    let claimed = false;
    try {
      if (scope) {
        const claim = await this.idempotency.claim(scope, fingerprint);
        if (claim.kind === 'replay') return await this.replay(claim.response, req, res, audit);
        claimed = true;
      }
      const body = await this.prisma.transaction(async (tx) => {
        const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
        if (scope) await this.idempotency.complete(scope, captureResponse(res, result));
        await this.audit.append(tx, withResult(audit(req, res.statusCode), req, result));
        return result;
      });
      req.auditRecorded = true;
      return body;
    } catch (error) {
      if (scope && claimed) await this.idempotency.release(scope).catch(() => undefined);
      if (!req.auditRecorded) {
        req.auditRecorded = true;
        await this.audit.record(audit(req, statusOfError(error)));
      }
      throw error;
    }
  }

  private async runOutsideTransaction(next: CallHandler, req: AuditedRequest, res: Response, audit: DraftFor): Promise<unknown> {
    try {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      req.auditRecorded = true;
      await this.audit.record(withResult(audit(req, res.statusCode), req, result));
      return result;
    } catch (error) {
      req.auditRecorded = true;
      await this.audit.record(audit(req, statusOfError(error)));
      throw error;
    }
  }

  private async replay(stored: StoredResponse, req: AuditedRequest, res: Response, audit: DraftFor): Promise<unknown> {
    res.status(stored.status);
    for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    req.auditRecorded = true;
    const body: unknown = stored.body === '' ? undefined : JSON.parse(stored.body);
    await this.audit.record({ ...withResult(audit(req, stored.status), req, body), changes: { idempotentReplay: true } });
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

  private describe(context: ExecutionContext, req: Request): DraftFor {
    const options = this.reflector.get<AuditedOptions | undefined>(AUDITED, context.getHandler()) ?? {};
    const fallback = defaultAction(this.reflector.get<string>(PATH_METADATA, context.getClass()) ?? '', context.getHandler().name);
    return (request, status) => ({
      ...auditIdentityOf(request),
      action: options.action ?? fallback.action,
      resourceType: options.resourceType ?? fallback.resourceType,
      resourceId: resourceIdOf(request, undefined),
      outcome: outcomeFor(status),
      statusCode: status,
      ...requestFacts(request),
      changes: auditedChanges(request.body),
    });
  }
}

type DraftFor = (req: Request, status: number) => AuditDraft;

const ID_SHAPE = /^[a-z]{2,4}_[0-9A-Z]{26}$/;

/** Completes a draft with what the handler returned: the resource, and the id of anything new it made beside it. */
function withResult(draft: AuditDraft, req: Request, result: unknown): AuditDraft {
  const resourceId = resourceIdOf(req, result);
  const created = typeof result === 'object' && result !== null ? (result as { id?: unknown }).id : undefined;
  const createdId = typeof created === 'string' && ID_SHAPE.test(created) && created !== resourceId ? created : undefined;
  return { ...draft, resourceId, changes: createdId ? { ...draft.changes, createdId } : draft.changes };
}

/**
 * The resource a request acted on: the route's :trackId or :id (a rotation
 * names the key it rotated), else the id of what it created. Only id-shaped
 * values count: a client that puts a secret where an id belongs must not get
 * it into the trail.
 */
function resourceIdOf(req: Request, result: unknown): string | null {
  const params = req.params ?? {};
  const fromBody = typeof result === 'object' && result !== null ? (result as { id?: unknown }).id : undefined;
  for (const candidate of [params.trackId, params.id, fromBody]) {
    if (typeof candidate === 'string' && ID_SHAPE.test(candidate)) return candidate;
  }
  return null;
}

function captureResponse(res: Response, result: unknown): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: res.statusCode, headers, body: result === undefined ? '' : JSON.stringify(result) };
}
