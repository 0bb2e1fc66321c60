/**
 * Who an audit event names (API guide: Audit trail). Most requests carry an AuthPrincipal
 * set by the auth guard. A @Public route that authenticates its caller itself
 * — a partner callback checks its Standard Webhooks signature in the service —
 * names that caller with setAuditActor, so the request is audited in the
 * caller's organization as the caller instead of as anonymous. Both the
 * request-transaction interceptor and the problem-details filter read it
 * through auditIdentityOf.
 */
import type { Request } from 'express';
import { principalOf, type AuthPrincipal } from '../auth/principal';
import { actorOf, type ActorType, type AuditDraft } from './audit-draft';

export interface AuditActor {
  orgId: string;
  actorType: Exclude<ActorType, 'api_key' | 'token' | 'anonymous'>;
  actorId: string;
}

type RequestWithAuditActor = Request & { auditActor?: AuditActor };

export type AuditIdentity = Pick<AuditDraft, 'orgId' | 'actorType' | 'actorId'>;

export function setAuditActor(req: Request, actor: AuditActor): void {
  (req as RequestWithAuditActor).auditActor = { orgId: actor.orgId, actorType: actor.actorType, actorId: actor.actorId };
}

export function auditActorOf(req: Request): AuditActor | undefined {
  return (req as RequestWithAuditActor).auditActor;
}

/**
 * The request's authenticated principal; else `refusedCredential`, the key a
 * refused credential belonged to; else the actor the route set; else
 * anonymous, outside any organization.
 */
export function auditIdentityOf(req: Request, refusedCredential?: Pick<AuthPrincipal, 'orgId' | 'keyId' | 'credential'>): AuditIdentity {
  const principal = principalOf(req) ?? refusedCredential;
  if (principal) return { orgId: principal.orgId, ...actorOf(principal) };
  const actor = auditActorOf(req);
  if (actor) return { orgId: actor.orgId, actorType: actor.actorType, actorId: actor.actorId };
  return { orgId: null, ...actorOf(undefined) };
}
