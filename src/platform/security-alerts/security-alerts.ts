import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Prisma } from '../../generated/prisma/client';
import { AppConfig } from '../../config/app-config';
import { AuditTrail } from '../audit/audit-trail';
import { Db } from '../database/db';
import { newId } from '../ids';
import { OutboxWriter } from '../outbox/outbox-writer';

export type SecurityAlertRule = 'new_address' | 'denials' | 'rotated_key_in_use' | 'leaked_key';

export interface SecurityAlert {
  orgId: string;
  rule: SecurityAlertRule;
  /** What the cooldown is per: a key, a key and an address, the organization. */
  subject: string;
  keyId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  detail: string;
  facts?: Record<string, Prisma.InputJsonValue | null>;
}

export interface KeyUse {
  orgId: string;
  keyId: string;
  ip: string;
  expiresAt: Date | null;
  requestId?: string | null;
  /** Whether the key has been rotated (asked only near the end of its life). */
  isRotated: () => Promise<boolean>;
}

const NOTHING_TO_CHECK: Promise<void> = Promise.resolve();

/** In-memory memo sizes: beyond them the memo is dropped, never the checks. */
const MEMO_LIMIT = 10_000;
/** A known (key, address) pair is looked up again after this long, which also refreshes its last use. */
const ADDRESS_RECHECK_MS = 10 * 60_000;

/**
 * Security alerts (docs/credentials.md): each rule that fires writes a
 * `security.alert` outbox event and an audit event in one transaction, after
 * claiming the (organization, rule, subject) cooldown in the same
 * transaction, so however many requests an attack makes — on however many
 * instances — the receiver gets one alert per cooldown. Rules that watch
 * requests run off the request path and never fail one; in-memory memos keep
 * the common case (a known key from a known address) free of queries.
 */
@Injectable()
export class SecurityAlerts implements OnModuleDestroy {
  private readonly logger = new Logger(SecurityAlerts.name);
  /** Evaluations running off the request path; shutdown waits for them rather than cutting them off mid-query. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly checkedAddresses = new Map<string, number>();
  private readonly quietUntil = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
    private readonly trail: AuditTrail,
  ) {}

  /** Raises `alert` inside the caller's transaction unless its cooldown runs; true when raised. */
  async raiseInTransaction(alert: SecurityAlert): Promise<boolean> {
    const cooldown = this.config.securityAlerts.cooldownSeconds;
    const claimed = await this.db.tx.$queryRaw<Array<{ rule: string }>>`
      INSERT INTO security_alert_cooldowns (org_id, rule, subject, until)
      VALUES (${alert.orgId}, ${alert.rule}, ${alert.subject.slice(0, 160)}, now() + ${cooldown}::int * interval '1 second')
      ON CONFLICT (org_id, rule, subject) DO UPDATE SET until = EXCLUDED.until WHERE security_alert_cooldowns.until <= now()
      RETURNING rule`;
    if (claimed.length === 0) return false;
    const data = { rule: alert.rule, keyId: alert.keyId ?? null, ip: alert.ip ?? null, detail: alert.detail, ...alert.facts };
    await this.outbox.record(alert.orgId, 'security.alert', data);
    await this.trail.append({
      orgId: alert.orgId,
      actorType: 'system',
      actorId: 'security-alerts',
      action: 'security.alert',
      resourceType: alert.keyId ? 'api_key' : 'organization',
      resourceId: alert.keyId ?? alert.orgId,
      outcome: 'success',
      statusCode: 200,
      ip: alert.ip ?? null,
      userAgent: null,
      requestId: alert.requestId ?? null,
      changes: data,
    });
    return true;
  }

  /** Raises `alert` in a transaction of its own; never throws (a failed alert is logged, not the request's problem). */
  async raise(alert: SecurityAlert): Promise<boolean> {
    try {
      return await this.db.withTransaction(() => this.raiseInTransaction(alert));
    } catch (error) {
      this.logger.warn({ err: error, rule: alert.rule, orgId: alert.orgId }, 'could not raise a security alert');
      return false;
    }
  }

  /**
   * An authenticated use of a key: the new-address and rotated-key rules,
   * evaluated off the request path. Whether either has anything to look up is
   * decided here, synchronously, from the memos: the common use (a known
   * address, a key far from its end) opens no context and makes no promise.
   */
  keyUsed(use: KeyUse): Promise<void> {
    const address = this.addressDue(use);
    const graceEnd = this.graceEndDue(use);
    if (!address && !graceEnd) return NOTHING_TO_CHECK;
    // Detached from whatever transaction the request holds or will open: this work outlives neither commit nor rollback.
    return this.track(
      this.db.withoutTransaction(() => Promise.all([address && this.checkAddress(use), graceEnd && this.checkGraceEnd(use, graceEnd)])).then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, keyId: use.keyId }, 'could not evaluate security alert rules for a key use'),
      ),
    );
  }

  /** A denied request (401/403) audited in `orgId`: the denials rule, evaluated off the request path. */
  denied(orgId: string, ip: string | null, requestId: string | null): Promise<void> {
    return this.track(this.db.withoutTransaction(() => this.countDenials(orgId, ip, requestId)));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async countDenials(orgId: string, ip: string | null, requestId: string | null): Promise<void> {
    const memo = `denials ${orgId}`;
    if ((this.quietUntil.get(memo) ?? 0) > Date.now()) return;
    const { limit, windowSeconds } = this.config.securityAlerts.denials;
    try {
      // Audit ids are time-ordered: the index on (org_id, id) finds the window without a time index.
      const after = newId('aud', Date.now() - windowSeconds * 1000);
      const [row] = await this.db.tx.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM (
          SELECT 1 FROM audit_events
          WHERE org_id = ${orgId} AND id > ${after} AND outcome = 'denied' AND status_code IN (401, 403)
          LIMIT ${limit}) AS recent`;
      if ((row?.n ?? 0) < limit) return;
      await this.raise({
        orgId,
        rule: 'denials',
        subject: 'organization',
        ip,
        requestId,
        detail: `${limit} or more requests were refused (401/403) within ${windowSeconds} s.`,
        facts: { threshold: limit, windowSeconds },
      });
      this.remember(this.quietUntil, memo, Date.now() + this.config.securityAlerts.cooldownSeconds * 1000);
    } catch (error) {
      this.logger.warn({ err: error, orgId }, 'could not evaluate the denials rule');
    }
  }

  /** Whether this (key, address) pair is due a look-up; remembers that it had one. */
  private addressDue(use: KeyUse): boolean {
    const memo = `${use.keyId} ${use.ip}`;
    if ((this.checkedAddresses.get(memo) ?? 0) > Date.now() - ADDRESS_RECHECK_MS) return false;
    this.remember(this.checkedAddresses, memo, Date.now());
    return true;
  }

  private async checkAddress(use: KeyUse): Promise<void> {
    const days = this.config.securityAlerts.addressMemoryDays;
    // The CTEs read the table as it was before the upsert: was this address recent, and were others?
    const [seen] = await this.db.tx.$queryRaw<Array<{ known: boolean; others: number }>>`
      WITH upsert AS (
        INSERT INTO api_key_addresses (key_id, ip) VALUES (${use.keyId}, ${use.ip})
        ON CONFLICT (key_id, ip) DO UPDATE SET last_seen_at = now()
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM api_key_addresses WHERE key_id = ${use.keyId} AND ip = ${use.ip}
                     AND last_seen_at > now() - ${days}::int * interval '1 day') AS known,
             (SELECT count(*)::int FROM api_key_addresses WHERE key_id = ${use.keyId} AND ip <> ${use.ip}
                     AND last_seen_at > now() - ${days}::int * interval '1 day') AS others`;
    // A key's first address is its baseline, not an anomaly.
    if (!seen || seen.known || seen.others === 0) return;
    await this.raise({
      orgId: use.orgId,
      rule: 'new_address',
      subject: `${use.keyId} ${use.ip}`,
      keyId: use.keyId,
      ip: use.ip,
      requestId: use.requestId,
      detail: `The key was used from ${use.ip}, outside the addresses it was used from in the last ${days} days.`,
      facts: { knownAddresses: seen.others },
    });
  }

  /** The key's expiry when it is inside its last grace period and out of the rule's cooldown (which this starts). */
  private graceEndDue(use: KeyUse): Date | undefined {
    if (!use.expiresAt) return undefined;
    const left = use.expiresAt.getTime() - Date.now();
    if (left <= 0 || left > this.config.securityAlerts.graceEndSeconds * 1000) return undefined;
    const memo = `grace ${use.keyId}`;
    if ((this.quietUntil.get(memo) ?? 0) > Date.now()) return undefined;
    this.remember(this.quietUntil, memo, Date.now() + this.config.securityAlerts.cooldownSeconds * 1000);
    return use.expiresAt;
  }

  private async checkGraceEnd(use: KeyUse, expiresAt: Date): Promise<void> {
    const left = expiresAt.getTime() - Date.now();
    if (!(await use.isRotated())) return;
    await this.raise({
      orgId: use.orgId,
      rule: 'rotated_key_in_use',
      subject: use.keyId,
      keyId: use.keyId,
      ip: use.ip,
      requestId: use.requestId,
      detail: `The key was rotated and is still in use ${Math.ceil(left / 1000)} s before its grace period ends; switch the caller to its successor.`,
      facts: { expiresAt: expiresAt.toISOString() },
    });
  }

  private remember(memo: Map<string, number>, key: string, value: number): void {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, value);
  }
}
