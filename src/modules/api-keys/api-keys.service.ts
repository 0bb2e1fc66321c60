import { Injectable } from '@nestjs/common';
import type { ApiKey } from '../../generated/prisma/client';
import { Forbidden } from '../../platform/auth/auth-errors';
import type { AuthPrincipal } from '../../platform/auth/principal';
import { missingScopes, Scope, SCOPES } from '../../platform/auth/scopes';
import { PrismaService, Tx } from '../../platform/database/prisma.service';
import { BadRequest, Conflict, FieldError, NotFound } from '../../platform/http/problem-details';
import { decodeCursor, Page, toPage } from '../../platform/http/pagination';
import { newId } from '../../platform/ids';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { AppConfig } from '../../config/app-config';
import { ApiKeyAuthenticator, keyUnusableReason } from './api-key-authenticator';
import { ApiKeyView, CreatedApiKeyView, presentApiKey, presentCreatedApiKey } from './api-key.presenter';
import { ApiKeysRepository } from './api-keys.repository';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import { IpRange, isRangeWithin, parseCidrList } from './ip-allowlist';
import { generateApiKey, hashApiKey, KeyMode, parseApiKey } from './key-format';

export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

interface KeySpec {
  orgId: string;
  name: string;
  mode: KeyMode;
  scopes: string[];
  allowedIps: string[];
  expiresAt: Date | null;
  rotatedFromId?: string;
  createdById?: string;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly repository: ApiKeysRepository,
    private readonly outbox: OutboxWriter,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async create(principal: AuthPrincipal, dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    this.assertCanGrant(principal, dto.scopes);
    const errors: FieldError[] = [];
    const expiresAt = dto.expiresAt == null ? null : new Date(dto.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) errors.push({ field: 'expiresAt', message: 'expiresAt must be in the future' });
    const parsedIps = parseCidrList(dto.allowedIps ?? []);
    if (!parsedIps.ok) {
      for (const entry of parsedIps.invalid) errors.push({ field: 'allowedIps', message: `"${entry.slice(0, 64)}" is not an IPv4/IPv6 address or CIDR range` });
    }
    if (errors.length || !parsedIps.ok) throw new BadRequest('The request is invalid.', errors);

    const caller = await this.repository.findOneForOrg(principal.orgId, principal.keyId);
    const limits = inheritCallerLimits(caller, parsedIps.ranges, expiresAt);
    return this.prisma.transaction((tx) =>
      this.issue(tx, {
        orgId: principal.orgId,
        name: dto.name,
        mode: (caller?.mode as KeyMode | undefined) ?? 'live',
        scopes: dto.scopes,
        allowedIps: limits.allowedIps,
        expiresAt: limits.expiresAt,
        createdById: principal.keyId,
      }),
    );
  }

  /** The first key of a new organization, holding every scope (CLI bootstrap). */
  issueInitialKey(tx: Tx, orgId: string, mode: KeyMode = 'live'): Promise<CreatedApiKeyView> {
    return this.issue(tx, { orgId, name: 'Initial admin key', mode, scopes: [...SCOPES], allowedIps: [], expiresAt: null });
  }

  async list(principal: AuthPrincipal, limit: number, cursor?: string): Promise<Page<ApiKeyView>> {
    const rows = await this.repository.findPageForOrg(principal.orgId, limit, decodeCursor(cursor));
    return toPage(rows, limit, presentApiKey);
  }

  async get(principal: AuthPrincipal, id: string): Promise<ApiKeyView> {
    return presentApiKey(await this.findOrThrow(principal.orgId, id));
  }

  /**
   * A new key with the same name, scopes and IPs; the old one keeps working
   * for the grace period, then stops (API.md §2). Rotating hands out a working
   * secret, so the caller must hold every scope of the key it rotates.
   */
  async rotate(principal: AuthPrincipal, id: string, gracePeriodSeconds?: number | null): Promise<CreatedApiKeyView> {
    // null and absent both mean "the default": a client that spells out null must not lose its old key at once.
    const graceSeconds = gracePeriodSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
    const created = await this.prisma.transaction(async (tx) => {
      const old = await this.repository.lockForOrg(tx, principal.orgId, id);
      if (!old) throw new NotFound('API key');
      this.assertCanGrant(principal, old.scopes);
      const unusable = keyUnusableReason(old);
      if (unusable) throw new Conflict(`The API key is ${unusable}; only an active key can be rotated.`);
      if (await this.repository.hasSuccessor(tx, old.id)) throw new Conflict('The API key has already been rotated; rotate its successor instead.');

      const graceEnd = new Date(Date.now() + graceSeconds * 1000);
      const oldExpiry = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.repository.update(tx, principal.orgId, old.id, { expiresAt: oldExpiry });
      const next = await this.issue(tx, {
        orgId: old.orgId,
        name: old.name,
        mode: old.mode as KeyMode,
        scopes: old.scopes,
        allowedIps: old.allowedIps,
        expiresAt: old.expiresAt,
        rotatedFromId: old.id,
        createdById: principal.keyId,
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
    await this.prisma.transaction(async (tx) => {
      const key = await this.repository.lockForOrg(tx, principal.orgId, id);
      if (!key) throw new NotFound('API key');
      if (key.id !== principal.keyId) this.assertCanGrant(principal, key.scopes);
      if (key.revokedAt) return;
      const revoked = await this.repository.update(tx, principal.orgId, id, { revokedAt: new Date() });
      await this.outbox.record(tx, principal.orgId, 'api_key.revoked', eventData(revoked));
    });
    this.authenticator.evict(id);
  }

  private async issue(tx: Tx, spec: KeySpec, event: 'api_key.created' | 'api_key.rotated' = 'api_key.created'): Promise<CreatedApiKeyView> {
    const key = generateApiKey(spec.mode);
    const row = await this.repository.create(tx, {
      id: newId('key'),
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
    });
    await this.outbox.record(tx, spec.orgId, event, eventData(row));
    return presentCreatedApiKey(row, key);
  }

  /** No privilege escalation: a credential can only hand out scopes it holds itself. */
  private assertCanGrant(principal: AuthPrincipal, scopes: readonly string[]): void {
    const missing = missingScopes(principal.scopes, scopes as Scope[]);
    if (missing.length > 0) {
      throw new Forbidden(`A credential can only grant scopes it holds; this one lacks: ${missing.join(', ')}.`, { missingScopes: missing });
    }
  }

  private async findOrThrow(orgId: string, id: string): Promise<ApiKey> {
    const row = await this.repository.findOneForOrg(orgId, id);
    if (!row) throw new NotFound('API key');
    return row;
  }
}

/**
 * A key cannot mint a key that escapes its own limits: under an IP allowlist
 * every new range must lie inside the creator's (none given = the creator's),
 * and an expiring creator's keys expire no later than it does.
 */
function inheritCallerLimits(
  caller: ApiKey | null,
  requested: IpRange[],
  requestedExpiry: Date | null,
): { allowedIps: string[]; expiresAt: Date | null } {
  let allowedIps = requested.map((r) => r.cidr);
  if (caller && caller.allowedIps.length > 0) {
    const parsed = parseCidrList(caller.allowedIps);
    const callerRanges = parsed.ok ? parsed.ranges : [];
    if (requested.length === 0) allowedIps = callerRanges.map((r) => r.cidr);
    const outside = requested.filter((r) => !isRangeWithin(r, callerRanges));
    if (outside.length > 0) {
      throw new Forbidden(`A key can only allow addresses its own allowlist allows; outside it: ${outside.map((r) => r.cidr).join(', ')}.`);
    }
  }
  let expiresAt = requestedExpiry;
  if (caller?.expiresAt) {
    if (expiresAt && expiresAt > caller.expiresAt) {
      throw new Forbidden('A key cannot outlive the key that creates it; choose an expiresAt no later than yours.');
    }
    expiresAt ??= caller.expiresAt;
  }
  return { allowedIps, expiresAt };
}

function eventData(row: ApiKey): { id: string; name: string; prefix: string; scopes: string[]; rotatedFromId: string | null; revokedAt: string | null } {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rotatedFromId: row.rotatedFromId,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
