import type { Request } from 'express';
import type { AuthPrincipal } from '../auth/principal';
import { auditActorOf, auditIdentityOf, setAuditActor, type AuditActor } from './audit-actor';

const request = (principal?: AuthPrincipal) => ({ headers: {}, principal }) as unknown as Request;
const principal: AuthPrincipal = { orgId: 'org_1', keyId: 'key_1', credential: 'api_key', scopes: [] };
const partner: AuditActor = { orgId: 'org_2', actorType: 'partner', actorId: 'ptn_1' };

describe('auditIdentityOf', () => {
  it('is anonymous, outside any organization, when nothing names the caller', () => {
    expect(auditIdentityOf(request())).toEqual({ orgId: null, actorType: 'anonymous', actorId: null });
  });

  it('names the authenticated principal', () => {
    expect(auditIdentityOf(request(principal))).toEqual({ orgId: 'org_1', actorType: 'api_key', actorId: 'key_1' });
  });

  it('names the actor a route set when there is no principal', () => {
    const req = request();
    setAuditActor(req, partner);
    expect(auditActorOf(req)).toEqual(partner);
    expect(auditIdentityOf(req)).toEqual({ orgId: 'org_2', actorType: 'partner', actorId: 'ptn_1' });
  });

  it('prefers the principal, then a refused credential, over a route-set actor', () => {
    const withBoth = request(principal);
    setAuditActor(withBoth, partner);
    expect(auditIdentityOf(withBoth)).toMatchObject({ orgId: 'org_1', actorId: 'key_1' });

    const refused = request();
    setAuditActor(refused, partner);
    expect(auditIdentityOf(refused, { orgId: 'org_3', keyId: 'key_3', credential: 'token' })).toEqual({ orgId: 'org_3', actorType: 'token', actorId: 'key_3' });
  });

  it('keeps a copy, so a later change to the object passed in does not move the event', () => {
    const req = request();
    const actor = { ...partner };
    setAuditActor(req, actor);
    actor.orgId = 'org_other';
    expect(auditIdentityOf(req).orgId).toBe('org_2');
  });
});
