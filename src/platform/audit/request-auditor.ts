import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { CallerIdentifier } from '../auth/caller-identifier';
import type { AuthSubject } from '../auth/auth-errors';
import { principalOf } from '../auth/principal';
import { isResourceId } from '../ids';
import { AnonymousRefusals } from './anonymous-refusals';
import { auditActorOf, auditIdentityOf } from './audit-actor';
import { AuditDraft, auditedChanges, outcomeFor, requestFacts, routeTemplateOf } from './audit-draft';
import { AuditTrail } from './audit-trail';
import { SecurityAlerts } from '../security-alerts/security-alerts';
import { MUTATING_METHODS } from '../http/http-methods';

/** What a route does, as the pipeline names it before the handler runs. */
export interface RouteAudit {
  action: string;
  resourceType: string;
}

const DENIAL_ACTIONS: Record<number, string> = { 401: 'auth.authenticate', 403: 'auth.authorize', 429: 'request.throttle' };

/**
 * The one place a request becomes its audit event (API guide: Audit trail), exactly once:
 * a request that succeeds is recorded by the pipeline (in its transaction,
 * with its change), one that fails is recorded by the error filter. Which of
 * the two happens is decided by the outcome itself, so no flag has to say
 * whether the other already did.
 *
 * Refusals of callers nobody can identify go to AnonymousRefusals, off the
 * request path; everything else is recorded in the caller's organization
 * before the answer goes out, so a client that sees an answer can find its event.
 */
@Injectable()
export class RequestAuditor {
  private readonly routes = new WeakMap<Request, RouteAudit>();

  constructor(
    private readonly trail: AuditTrail,
    private readonly anonymous: AnonymousRefusals,
    private readonly callers: CallerIdentifier,
    private readonly alerts: SecurityAlerts,
  ) {}

  /** Names what the matched route does, for whichever way the request ends. */
  describe(req: Request, route: RouteAudit): void {
    this.routes.set(req, route);
  }

  /** A success, inside the request's transaction: the event commits with the change. */
  async appendSuccess(req: Request, status: number, result: unknown, extra?: Record<string, unknown>): Promise<void> {
    await this.trail.append(this.successDraft(req, status, result, extra));
  }

  /** A success with no transaction to join (streamed uploads, replays of stored responses outside one). */
  async recordSuccess(req: Request, status: number, result: unknown, extra?: Record<string, unknown>): Promise<void> {
    await this.trail.record(this.successDraft(req, status, result, extra));
  }

  /**
   * A refused or failed request, if it is one the trail keeps: every 401, 403
   * and 429; every failed change; and an authenticated caller's 404s (how a
   * probe across tenants shows in the prober's own trail). `subject` is the key
   * a refused credential belonged to, when AuthGuard could tell.
   */
  async recordFailure(req: Request, status: number, reason: string | undefined, subject?: AuthSubject): Promise<void> {
    const route = this.routes.get(req);
    const authenticated = principalOf(req) !== undefined || subject !== undefined || auditActorOf(req) !== undefined;
    const wanted =
      DENIAL_ACTIONS[status] !== undefined || (MUTATING_METHODS.has(req.method) && status >= 400 && status !== 404) || (status === 404 && authenticated);
    if (!wanted) return;

    // Middleware (body limits, media types, body parsing) refuses before any
    // guard has seen the credential: look at it now, so the refusal lands in
    // the caller's organization. Not for 401/429: AuthGuard already judged
    // the credential, and looking again would let a flood of made-up keys
    // cost a query each.
    const identified =
      subject ?? (principalOf(req) || auditActorOf(req) || status === 401 || status === 429 ? undefined : await this.callers.identify(req));
    const identity = auditIdentityOf(req, identified);
    const facts = requestFacts(req);
    if (identity.orgId === null) {
      this.anonymous.add({
        ip: facts.ip,
        action: route?.action ?? DENIAL_ACTIONS[status] ?? 'request.reject',
        statusCode: status,
        reason,
        method: req.method,
        route: routeTemplateOf(req),
        userAgent: facts.userAgent,
        requestId: facts.requestId,
        at: new Date(),
      });
      return;
    }
    const draft: AuditDraft = route
      ? {
          ...identity,
          ...route,
          resourceId: resourceIdOf(req, undefined),
          outcome: outcomeFor(status),
          statusCode: status,
          ...facts,
          changes: auditedChanges(req.body),
        }
      : {
          ...identity,
          action: DENIAL_ACTIONS[status] ?? (status === 404 ? 'resource.not_found' : 'request.reject'),
          resourceType: null,
          // The id a caller asked for and did not get (a probe across tenants names its target).
          resourceId: status === 404 ? resourceIdOf(req, undefined) : null,
          outcome: outcomeFor(status),
          statusCode: status,
          ...facts,
          changes: { method: req.method, route: routeTemplateOf(req), ...(reason ? { reason } : {}) },
        };
    await this.trail.record(draft);
    // Off the request path: the answer does not wait for the count.
    if (status === 401 || status === 403) void this.alerts.denied(identity.orgId, facts.ip, facts.requestId);
  }

  private successDraft(req: Request, status: number, result: unknown, extra?: Record<string, unknown>): AuditDraft {
    const route = this.routes.get(req) ?? { action: 'request.unknown', resourceType: 'request' };
    const resourceId = resourceIdOf(req, result);
    const created = typeof result === 'object' && result !== null ? (result as { id?: unknown }).id : undefined;
    const createdId = typeof created === 'string' && isResourceId(created) && created !== resourceId ? created : undefined;
    const changes = auditedChanges(req.body);
    const withExtras = createdId || extra ? { ...changes, ...(createdId ? { createdId } : {}), ...extra } : changes;
    return {
      ...auditIdentityOf(req),
      ...route,
      resourceId,
      outcome: outcomeFor(status),
      statusCode: status,
      ...requestFacts(req),
      changes: withExtras,
    };
  }
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
    if (typeof candidate === 'string' && isResourceId(candidate)) return candidate;
  }
  return null;
}
