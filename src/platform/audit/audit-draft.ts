/**
 * What an audit event says about a request (API guide: Audit trail), built from the
 * request only through allowlists: body values are recorded for the fields
 * named below and nothing else (other fields appear by name only), so a new
 * secret-bearing field can never leak into the trail by default.
 */
import type { Request } from 'express';
import type { AuthPrincipal } from '../auth/principal';
import { requestIdOf } from '../http/request-id';
import { clientAddressOf } from '../http/http-context';

export type AuditOutcome = 'success' | 'denied' | 'error';
export type ActorType = 'api_key' | 'token' | 'partner' | 'system' | 'anonymous';

export interface AuditDraft {
  orgId: string | null;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: AuditOutcome;
  statusCode: number;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: Record<string, unknown> | null;
}

/** Body fields whose values are safe and useful in an audit trail. */
export const AUDITED_VALUE_FIELDS = new Set([
  'name',
  'title',
  'status',
  'reason',
  'scopes',
  'allowedIps',
  'expiresAt',
  'gracePeriodSeconds',
  'events',
  'description',
  'enabled',
  'trackNumber',
  'isrc',
  'iswc',
  'upc',
  'releaseDate',
  'originalReleaseDate',
  'genre',
  'language',
  'explicit',
  'label',
  'artists',
  'territories',
  'uploadId',
  'trackId',
  'type',
  'requireSignedRequests',
]);

const MAX_VALUE_JSON = 2000;

/** A body field name worth recording: a short identifier. Anything else (say, a key pasted as a form field name) is not. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const LOOKS_SECRET = /mpk_(live|test)_|whsec_|^ey[A-Za-z0-9_-]{10,}/;

export function auditedChanges(body: unknown): Record<string, unknown> | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const fields = Object.keys(body)
    .slice(0, 50)
    .map((name) => (FIELD_NAME.test(name) && !LOOKS_SECRET.test(name) ? name : '[redacted]'));
  if (fields.length === 0) return null;
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    if (!AUDITED_VALUE_FIELDS.has(field)) continue;
    if (!Object.hasOwn(body, field)) continue;
    const value = (body as Record<string, unknown>)[field];
    values[field] = JSON.stringify(value ?? null).length <= MAX_VALUE_JSON ? value : '[too long]';
  }
  return { fields, values };
}

export function actorOf(principal: Pick<AuthPrincipal, 'credential' | 'keyId'> | undefined): { actorType: ActorType; actorId: string | null } {
  if (!principal) return { actorType: 'anonymous', actorId: null };
  return { actorType: principal.credential === 'token' ? 'token' : 'api_key', actorId: principal.keyId };
}

export function requestFacts(req: Request): Pick<AuditDraft, 'ip' | 'userAgent' | 'requestId'> {
  const userAgent = req.headers['user-agent'];
  return {
    ip: clientAddressOf(req) || null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 256) : null,
    requestId: requestIdOf(req) ?? null,
  };
}

export function outcomeFor(status: number): AuditOutcome {
  if (status < 400) return 'success';
  if (status >= 500) return 'error';
  return 'denied';
}

/**
 * The route a request matched, as declared (`/v1/api-keys/:id`), never the
 * path the client sent: a client can put anything, a key included, into a
 * path segment. Unrouted requests are named by method only.
 */
export function routeTemplateOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? `${req.baseUrl ?? ''}${route.path}`.slice(0, 200) : '(unrouted)';
}

/**
 * `release.create` for POST /v1/releases, `api_key.rotate` for
 * POST /v1/api-keys/:id/rotate: the resource from the controller's path, the
 * verb from the handler's name; a route can override with @Audited().
 */
export function defaultAction(controllerPath: string, handlerName: string): { action: string; resourceType: string } {
  const segments = controllerPath.split('/').filter((s) => s && !s.startsWith(':') && !/^v\d+$/.test(s));
  const last = segments[segments.length - 1] ?? 'request';
  const singular = last.replace(/ies$/, 'y').replace(/s$/, '').replace(/-/g, '_');
  return { action: `${singular}.${handlerName}`.slice(0, 64), resourceType: singular.slice(0, 32) };
}
