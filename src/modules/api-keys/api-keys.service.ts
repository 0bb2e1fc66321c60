import { Injectable } from '@nestjs/common';
import type { AuditDraft } from '../../platform/audit/audit-draft';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { SecurityAlerts } from '../../platform/security-alerts/security-alerts';
import { AuditEventView, presentAuditEvent } from '../audit-events/audit-event.presenter';
import type { ApiKey } from '../../generated/prisma/client';
import { Forbidden } from '../../platform/auth/auth-errors';
import type { AuthPrincipal } from '../../platform/auth/principal';
import { missingScopes, Scope, SCOPES } from '../../platform/auth/scopes';
import { Db } from '../../platform/database/db';
import { BadRequest, Conflict, FieldError, NotFound } from '../../platform/errors/domain-errors';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { newId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { SecretBox } from '../../platform/crypto/secret-box';
import { generateSigningSecret, parseEd25519PublicJwk, signingSecretContext } from '../../platform/auth/signatures/signing-keys';
import { AppConfig } from '../../config/app-config';
import { ApiKeyAuthenticator, keyUnusableReason } from './api-key-authenticator';
import { ApiKeyView, CreatedApiKeyView, presentApiKey, presentCreatedApiKey } from './api-key.presenter';
import { ApiKeysRepository } from './api-keys.repository';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import { IpRange, parseCidrList } from './ip-allowlist';
import { IssuerLimits, resolveIssuedLimits } from './issuer-limits';
import { KeyPolicyService } from './key-policy.service';
import { generateApiKey, hashApiKey, KeyMode, parseApiKey } from './key-format';

export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

/** Who and where a request came from, for the extra audit events a service writes for it. */
export type AuditBase = Pick<AuditDraft, 'actorType' | 'actorId' | 'ip' | 'userAgent' | 'requestId'>;

export interface RevokeAllResult {
  revoked: number;
  keyIds: string[];
}

/** A key's signed-request requirement as issued (API guide: Signed requests); an HMAC secret is made at issue time. */
type SigningSpec = { alg: 'hmac-sha256' } | { alg: 'ed25519'; publicKey: { kty: 'OKP'; crv: 'Ed25519'; x: string } };

interface KeySpec {
  orgId: string;
  name: string;
  mode: KeyMode;
  scopes: string[];
  allowedIps: string[];
  expiresAt: Date | null;
  rotatedFromId?: string;
  createdById?: string;
  signing?: SigningSpec;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly repository: ApiKeysRepository,
    private readonly outbox: OutboxWriter,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly box: SecretBox,
    private readonly trail: AuditTrail,
    private readonly policies: KeyPolicyService,
    private readonly alerts: SecurityAlerts,
  ) {}

  async create(principal: AuthPrincipal, dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    const errors: FieldError[] = [];
    const expiresAt = dto.expiresAt == null ? null : new Date(dto.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) errors.push({ field: 'expiresAt', message: 'expiresAt must be in the future' });
    const parsedIps = parseCidrList(dto.allowedIps ?? []);
    if (!parsedIps.ok) {
      for (const entry of parsedIps.invalid) errors.push({ field: 'allowedIps', message: `"${entry.slice(0, 64)}" is not an IPv4/IPv6 address or CIDR range` });
    }
    const signing = signingSpecOf(dto, errors);
    const policyLimit = await this.policies.latestExpiry(principal.orgId);
    if (policyLimit && expiresAt && expiresAt > policyLimit.at) {
      errors.push({ field: 'expiresAt', message: `the organization's key policy allows keys of at most ${policyLimit.days} days: expiresAt must be no later than ${policyLimit.at.toISOString()}` });
    }
    if (errors.length || !parsedIps.ok) throw new BadRequest('The request is invalid.', errors);

    const caller = await this.callerKey(principal);
    const limits = resolveIssuedLimits(issuerLimitsOf(principal, caller), {
      scopes: dto.scopes,
      // Omitted (or empty) allowlist and expiry take the creator's own.
      allowedIps: parsedIps.ranges.length > 0 ? parsedIps.ranges : 'inherit',
      expiresAt: expiresAt ?? 'inherit',
      signed: signing !== undefined,
    });
    return this.db.withTransaction(() =>
      this.issue({
        orgId: principal.orgId,
        name: dto.name,
        mode: caller.mode as KeyMode,
        scopes: dto.scopes,
        allowedIps: limits.allowedIps,
        // Under an age limit an omitted expiry is the longest the policy allows.
        expiresAt: earliest(limits.expiresAt, policyLimit?.at ?? null),
        createdById: principal.keyId,
        signing,
      }),
    );
  }

  /** The first key of a new organization, holding every scope (CLI bootstrap). */
  issueInitialKey(orgId: string, mode: KeyMode = 'live'): Promise<CreatedApiKeyView> {
    return this.issue({ orgId, name: 'Initial admin key', mode, scopes: [...SCOPES], allowedIps: [], expiresAt: null });
  }

  async list(principal: AuthPrincipal, limit: number, cursor?: string, expiringWithinDays?: number): Promise<Page<ApiKeyView>> {
    const expiringBefore = expiringWithinDays === undefined ? undefined : new Date(Date.now() + expiringWithinDays * 86_400_000);
    const rows = await this.repository.findPageForOrg(principal.orgId, limit, decodeCursor(cursor), expiringBefore);
    return toPage(rows, limit, presentApiKey);
  }

  async get(principal: AuthPrincipal, id: string): Promise<ApiKeyView> {
    return presentApiKey(await this.findOrThrow(principal.orgId, id));
  }

  /**
   * A new key with the same name, scopes and IPs; the old one keeps working
   * for the grace period, then stops (API guide: API keys and rotation). Rotating hands out a working
   * secret, so the caller must hold every scope of the key it rotates.
   * The signing requirement carries over: an hmac-sha256 key gets a new
   * signing secret with its new key (returned once; the old key keeps its own
   * secret for the grace period), an ed25519 key keeps its public key (the
   * private key never left the client; to change it, create a new key).
   */
  async rotate(principal: AuthPrincipal, id: string, gracePeriodSeconds?: number | null): Promise<CreatedApiKeyView> {
    // null and absent both mean "the default": a client that spells out null must not lose its old key at once.
    const graceSeconds = gracePeriodSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
    const created = await this.db.withTransaction(async () => {
      const old = await this.repository.lockForOrg(principal.orgId, id);
      if (!old) throw new NotFound('API key');
      // The successor copies the old key's limits exactly; the caller must be able to issue such a key itself.
      // Under an age limit it gets a fresh maximum lifetime instead (rotating is how keys stay within it),
      // no longer than the caller's own.
      const caller = await this.callerKey(principal);
      const policyLimit = await this.policies.latestExpiry(principal.orgId);
      const successorExpiry = policyLimit ? earliest(policyLimit.at, caller.expiresAt) : old.expiresAt;
      resolveIssuedLimits(issuerLimitsOf(principal, caller), {
        scopes: old.scopes,
        allowedIps: parsedRanges(old.allowedIps),
        expiresAt: successorExpiry,
        signed: old.signatureAlg !== null,
      });
      const unusable = keyUnusableReason(old);
      if (unusable) throw new Conflict(`The API key is ${unusable}; only an active key can be rotated.`);
      if (await this.repository.hasSuccessor(old.id)) throw new Conflict('The API key has already been rotated; rotate its successor instead.');

      const graceEnd = new Date(Date.now() + graceSeconds * 1000);
      const oldExpiry = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.repository.update(principal.orgId, old.id, { expiresAt: oldExpiry });
      const next = await this.issue({
        orgId: old.orgId,
        name: old.name,
        mode: old.mode as KeyMode,
        scopes: old.scopes,
        allowedIps: old.allowedIps,
        expiresAt: successorExpiry,
        rotatedFromId: old.id,
        createdById: principal.keyId,
        signing: rotatedSigningSpec(old),
      }, 'api_key.rotated');
      return next;
    });
    this.authenticator.evict(id);
    return created;
  }

  /**
   * Immediate revocation, the incident-response path. Revoking a revoked key
   * is a no-op. Like rotation, it needs every scope of the target key, so a
   * narrow key cannot switch off a broader one (an admin key can revoke any).
   */
  async revoke(principal: AuthPrincipal, id: string): Promise<void> {
    await this.db.withTransaction(async () => {
      const key = await this.repository.lockForOrg(principal.orgId, id);
      if (!key) throw new NotFound('API key');
      if (key.id !== principal.keyId) this.assertCanGrant(principal, key.scopes);
      if (key.revokedAt) return;
      const revoked = await this.repository.update(principal.orgId, id, { revokedAt: new Date() });
      await this.outbox.record(principal.orgId, 'api_key.revoked', eventData(revoked));
    });
    this.authenticator.evict(id);
  }

  /**
   * Incident response: every live key of the organization revoked in one
   * transaction, each with its own audit event and `api_key.revoked` event.
   * The caller's own key is spared unless `includeSelf`, so the responder
   * keeps a way in (and `exceptKeyId` may spare one more, say a fresh key
   * made for the recovery). Like a single revocation it needs every scope of
   * each key it revokes: a narrow key cannot switch off broader ones.
   */
  async revokeAll(principal: AuthPrincipal, options: { exceptKeyId?: string | null; includeSelf?: boolean | null }, audit: AuditBase): Promise<RevokeAllResult> {
    const revokedIds = await this.db.withTransaction(async () => {
      if (options.exceptKeyId != null && !(await this.repository.findOneForOrg(principal.orgId, options.exceptKeyId))) throw new NotFound('API key');
      const spared = new Set([options.exceptKeyId, options.includeSelf === true ? null : principal.keyId].filter((id) => id != null));
      const targets = (await this.repository.lockLiveForOrg(principal.orgId)).filter((key) => !spared.has(key.id));
      const missing = [...new Set(targets.flatMap((key) => missingScopes(principal.scopes, key.scopes as Scope[])))];
      if (missing.length > 0) {
        throw new Forbidden(`A credential can only revoke keys whose scopes it holds; this one lacks: ${missing.join(', ')}.`, { missingScopes: missing });
      }
      const now = new Date();
      for (const key of targets) {
        const revoked = await this.repository.update(principal.orgId, key.id, { revokedAt: now });
        await this.outbox.record(principal.orgId, 'api_key.revoked', eventData(revoked));
        await this.trail.append({
          ...audit,
          orgId: principal.orgId,
          action: 'api_key.revoke',
          resourceType: 'api_key',
          resourceId: key.id,
          outcome: 'success',
          statusCode: 200,
          changes: { via: 'revoke-all' },
        });
      }
      return targets.map((key) => key.id);
    });
    for (const id of revokedIds) this.authenticator.evict(id);
    return { revoked: revokedIds.length, keyIds: revokedIds };
  }

  /**
   * A token a secret-scanning partner found in public: true when it is a key
   * this server issued. A live one is revoked at once (its tokens die like
   * any revoked key's), and the owning organization gets `api_key.leaked`
   * and an audit event carrying where it was found, whether or not the key
   * still worked.
   */
  async handleReportedLeak(token: string, report: { type: string; url: string | null; source: string | null }, audit: Omit<AuditBase, 'actorType' | 'actorId'>): Promise<boolean> {
    if (!parseApiKey(token)) return false;
    const hash = new Uint8Array(hashApiKey(this.config.apiKeyPepper, token));
    const found = await this.db.withTransaction(async () => {
      const match = await this.repository.findForAuthentication(hash);
      const key = match && (await this.repository.lockForOrg(match.orgId, match.id));
      if (!key) return null;
      const live = keyUnusableReason(key) === null;
      const row = live ? await this.repository.update(key.orgId, key.id, { revokedAt: new Date() }) : key;
      if (live) await this.outbox.record(key.orgId, 'api_key.revoked', eventData(row));
      await this.outbox.record(key.orgId, 'api_key.leaked', { ...eventData(row), revokedByReport: live, url: report.url, source: report.source });
      await this.trail.append({
        ...audit,
        orgId: key.orgId,
        actorType: 'system',
        actorId: 'secret-scanning',
        action: 'api_key.leaked',
        resourceType: 'api_key',
        resourceId: key.id,
        outcome: 'success',
        statusCode: 200,
        changes: { url: report.url, source: report.source, tokenType: report.type, revoked: live },
      });
      await this.alerts.raiseInTransaction({
        orgId: key.orgId,
        rule: 'leaked_key',
        subject: key.id,
        keyId: key.id,
        requestId: audit.requestId,
        detail: live ? 'The key was reported leaked and has been revoked.' : 'A key that no longer works was reported leaked.',
        facts: { url: report.url, source: report.source, revoked: live },
      });
      return key;
    });
    if (found) this.authenticator.evict(found.id);
    return found !== null;
  }

  /** What a key did: the audit events it (or a token issued from it) is the actor of, newest first. */
  async activity(principal: AuthPrincipal, id: string, limit: number, cursor?: string): Promise<Page<AuditEventView>> {
    await this.findOrThrow(principal.orgId, id);
    const rows = await this.repository.findActivityPage(principal.orgId, id, limit, decodeCursor(cursor));
    return toPage(rows, limit, presentAuditEvent);
  }

  private async issue(spec: KeySpec, event: 'api_key.created' | 'api_key.rotated' = 'api_key.created'): Promise<CreatedApiKeyView> {
    const key = generateApiKey(spec.mode);
    const id = newId('key');
    const signingSecret = spec.signing?.alg === 'hmac-sha256' ? generateSigningSecret() : undefined;
    const row = await this.repository.create({
      id,
      orgId: spec.orgId,
      name: spec.name,
      mode: spec.mode,
      prefix: parseApiKey(key)!.lookupPrefix,
      keyHash: new Uint8Array(hashApiKey(this.config.apiKeyPepper, key)),
      scopes: spec.scopes,
      allowedIps: spec.allowedIps,
      expiresAt: spec.expiresAt,
      rotatedFromId: spec.rotatedFromId ?? null,
      createdById: spec.createdById ?? null,
      signatureAlg: spec.signing?.alg ?? null,
      // Sealed under the key's id: a sealed secret copied to another row does not open.
      signingSecretSealed: signingSecret ? this.box.seal(signingSecret, signingSecretContext(id)) : null,
      signingPublicKey: spec.signing?.alg === 'ed25519' ? spec.signing.publicKey : undefined,
    });
    await this.outbox.record(spec.orgId, event, eventData(row));
    return presentCreatedApiKey(row, key, signingSecret);
  }

  /** No privilege escalation: a credential can only hand out scopes it holds itself. */
  private assertCanGrant(principal: AuthPrincipal, scopes: readonly string[]): void {
    const missing = missingScopes(principal.scopes, scopes as Scope[]);
    if (missing.length > 0) {
      throw new Forbidden(`A credential can only grant scopes it holds; this one lacks: ${missing.join(', ')}.`, { missingScopes: missing });
    }
  }

  /** The key behind the calling credential (for a token, the key it was issued from). */
  private async callerKey(principal: AuthPrincipal): Promise<ApiKey> {
    const caller = await this.repository.findOneForOrg(principal.orgId, principal.keyId);
    // Authentication just found it; its absence would be a wiring bug, never a reason to drop the caller's limits.
    if (!caller) throw new Error(`The calling API key ${principal.keyId} is missing`);
    return caller;
  }

  private async findOrThrow(orgId: string, id: string): Promise<ApiKey> {
    const row = await this.repository.findOneForOrg(orgId, id);
    if (!row) throw new NotFound('API key');
    return row;
  }
}

/** The earlier of two expiries, null being "never". */
function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function issuerLimitsOf(principal: AuthPrincipal, caller: ApiKey): IssuerLimits {
  return { scopes: principal.scopes, allowedIps: caller.allowedIps, expiresAt: caller.expiresAt, signed: caller.signatureAlg !== null };
}

function parsedRanges(cidrs: string[]): IpRange[] {
  const parsed = parseCidrList(cidrs);
  if (!parsed.ok) throw new Error('An API key has an unreadable stored allowlist');
  return parsed.ranges;
}

/** The requested signing requirement, or field errors when it is inconsistent (API guide: Signed requests, API keys and rotation). */
function signingSpecOf(dto: CreateApiKeyDto, errors: FieldError[]): SigningSpec | undefined {
  const alg = dto.requireSignedRequests ?? undefined;
  const publicKey = dto.signingPublicKey ?? undefined;
  if (alg !== 'ed25519') {
    if (publicKey !== undefined) errors.push({ field: 'signingPublicKey', message: 'signingPublicKey is only for requireSignedRequests "ed25519"' });
    return alg === 'hmac-sha256' ? { alg } : undefined;
  }
  if (publicKey === undefined) {
    errors.push({ field: 'signingPublicKey', message: 'requireSignedRequests "ed25519" needs signingPublicKey, the Ed25519 public JWK' });
    return undefined;
  }
  const parsed = parseEd25519PublicJwk(publicKey);
  if (!parsed.ok) {
    errors.push({ field: 'signingPublicKey', message: parsed.message });
    return undefined;
  }
  return { alg, publicKey: parsed.jwk };
}

function rotatedSigningSpec(old: ApiKey): SigningSpec | undefined {
  if (old.signatureAlg === 'hmac-sha256') return { alg: 'hmac-sha256' };
  if (old.signatureAlg === 'ed25519') {
    const parsed = parseEd25519PublicJwk(old.signingPublicKey);
    if (!parsed.ok) throw new Error(`API key ${old.id} has an unusable signing public key`);
    return { alg: 'ed25519', publicKey: parsed.jwk };
  }
  return undefined;
}

export function eventData(row: ApiKey): { id: string; name: string; prefix: string; scopes: string[]; rotatedFromId: string | null; revokedAt: string | null } {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rotatedFromId: row.rotatedFromId,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
