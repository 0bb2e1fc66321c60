import { Injectable } from '@nestjs/common';
import { Prisma } from '../../../generated/prisma/client';
import { Db } from '../../../platform/database/db';
import { newId } from '../../../platform/ids';

export interface PendingEvent {
  id: string;
  orgId: string;
  type: string;
  data: unknown;
  occurredAt: Date;
}

export interface FanOutEndpoint {
  id: string;
  orgId: string;
  events: string[];
  createdAt: Date;
}

export interface NewMessage {
  id: string;
  orgId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
}

/** A message claimed for one attempt, with what the attempt needs from its endpoint. */
export interface ClaimedMessage {
  id: string;
  orgId: string;
  endpointId: string;
  body: string;
  /** This attempt's number (1-based); also the lease token: only its holder may record the outcome. */
  attemptNumber: number;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface AttemptRecord {
  messageId: string;
  endpointId: string;
  attemptNumber: number;
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  responseBodyExcerpt: string | null;
  error: string | null;
}

export type MessageUpdate =
  | { status: 'delivered' }
  | { status: 'pending'; delayMs: number }
  | { status: 'failed' };

/** One finished attempt and what it decided: the unit AttemptRecorder writes. */
export interface AttemptOutcome {
  attempt: AttemptRecord;
  update: MessageUpdate;
  disableEndpoint: boolean;
}

/** Event types whose failed delivery raises no webhook_message.failed (operational events themselves, and tests). */
const OPERATIONAL_QUIET_TYPES = ['webhook_message.failed', 'webhook_endpoint.disabled', 'webhook.test'] as const;

/** After this long with nothing but failed attempts, an endpoint is disabled (API guide: Webhooks). */
export const FAILING_ENDPOINT_DISABLE_AFTER = '5 days';

/**
 * The workers' queries. These are the only ones that cross organizations
 * (a worker serves them all); each is named for its one purpose. Every claim
 * uses FOR UPDATE SKIP LOCKED, so any number of workers in any number of
 * processes take disjoint rows without waiting on each other.
 */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /** Undispatched outbox events, oldest first, locked until `tx` ends. */
  claimUndispatchedEvents(limit: number): Promise<PendingEvent[]> {
    return this.db.tx.$queryRaw<PendingEvent[]>(claimUndispatchedEventsSql(limit));
  }

  enabledEndpointsOf(orgIds: string[]): Promise<FanOutEndpoint[]> {
    return this.db.tx.webhookEndpoint.findMany({
      where: { orgId: { in: orgIds }, enabled: true },
      select: { id: true, orgId: true, events: true, createdAt: true },
    });
  }

  /**
   * One INSERT … SELECT FROM unnest(…) for the whole batch (Prisma's
   * createMany builds its statement row by row, ~4 ms per row here).
   * ON CONFLICT (endpoint, event) DO NOTHING: fanning an event out twice
   * cannot make a second message. next_attempt_at takes its default, the
   * database's now(): every scheduling decision uses the database clock.
   */
  async insertMessages(messages: NewMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const column = <K extends keyof NewMessage>(key: K) => messages.map((m) => m[key]);
    return this.db.tx.$executeRaw`
      INSERT INTO webhook_messages (id, org_id, endpoint_id, event_id, event_type, body)
      SELECT * FROM unnest(${column('id')}::text[], ${column('orgId')}::text[], ${column('endpointId')}::text[],
                           ${column('eventId')}::text[], ${column('eventType')}::varchar[], ${column('body')}::text[])
      ON CONFLICT (endpoint_id, event_id) DO NOTHING`;
  }

  async markDispatched(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.db.tx.$executeRaw`UPDATE outbox_events SET dispatched_at = now() WHERE id = ANY(${eventIds}::text[])`;
  }

  /**
   * Claims up to `limit` due messages of enabled endpoints, fairly, in one
   * statement: bumps the attempt number and takes a lease until now +
   * `leaseMs`. A message whose holder died (lease expired while `delivering`)
   * is due again. Committed on return, so the HTTP request happens outside
   * any transaction.
   *
   * Fairness (issue 14.3): a message in flight is one `delivering` under a
   * live lease, whichever worker or process holds it. An endpoint with
   * `caps.perEndpoint` in flight, or an organization with `caps.perOrg`, gets
   * nothing more until some finish, so a receiver that never answers holds at
   * most its own share of the slots while the others keep flowing. Among the
   * rest, claims go round-robin across endpoints: every endpoint's oldest due
   * message first, then every endpoint's second, and so on, each round in
   * due-time order.
   *
   * Concurrent claimers need no lock between them to respect the caps: from
   * the same data they choose the same messages in the same order (each an
   * endpoint's oldest due ones, then an organization's by turn), so one that
   * did not yet see another's claims picks the same first messages, finds
   * them locked or, once committed, no longer due (re-checked under the row
   * lock), and skips them. Only a message falling due between two claims can
   * put one past a cap, by that message.
   */
  claimDueMessages(limit: number, leaseMs: number, caps: ClaimCaps): Promise<ClaimedMessage[]> {
    return this.db.tx.$queryRaw<ClaimedMessage[]>(claimDueMessagesSql(limit, leaseMs, caps));
  }

  /**
   * Records one attempt: recordAttempts with a batch of one (the recorder's
   * fallback when a batch fails as a whole). Returns false when the message
   * no longer exists (its endpoint was deleted) or the attempt was already recorded.
   */
  async recordAttempt(attempt: AttemptRecord, update: MessageUpdate, disableEndpoint: boolean): Promise<boolean> {
    return (await this.recordAttempts([{ attempt, update, disableEndpoint }])) === 1;
  }

  /**
   * recordAttempt for a batch of attempts (in the order they finished), in
   * one statement: one round trip and one commit for the batch, where the
   * commit's fsync is most of a delivery's database time. Per message the
   * rules are recordAttempt's: the attempt row is written unless already
   * there, the outcome applies only under the lease (status 'delivering' and
   * this attempt number). Per endpoint, the outcomes that applied are folded:
   * a 410 disables it; its failing run ends if its last outcome in the batch
   * is a success, restarts now if an earlier one was, otherwise starts or
   * continues, and only a batch without any success can disable it for a run
   * older than five days. Returns how many attempts were written.
   *
   * Operational events (as Svix sends them) are written to the outbox by the
   * same statement, so they exist exactly when the change they report does:
   * `webhook_endpoint.disabled` when an endpoint goes from enabled to
   * disabled (with its reason), `webhook_message.failed` when a message's
   * last retry fails. The statement's CTEs all see the rows as they were
   * before it, which is how `before` tells a transition from an endpoint
   * that was already off. Their ids are made here, one spare per attempt.
   * A failed operational event raises no new one: two failing endpoints
   * must not report each other's failures to each other for ever.
   */
  async recordAttempts(outcomes: readonly AttemptOutcome[]): Promise<number> {
    if (outcomes.length === 0) return 0;
    const input = JSON.stringify(
      outcomes.map(({ attempt, update, disableEndpoint }, ord) => ({
        id: newId('att'),
        message_id: attempt.messageId,
        endpoint_id: attempt.endpointId,
        attempt_number: attempt.attemptNumber,
        attempted_at: attempt.attemptedAt.toISOString(),
        status_code: attempt.statusCode,
        duration_ms: attempt.durationMs,
        excerpt: attempt.responseBodyExcerpt,
        error: attempt.error,
        status: update.status,
        delay_ms: update.status === 'pending' ? update.delayMs : 0,
        disable_endpoint: disableEndpoint,
        ord,
        failed_event_id: newId('evt'),
        disabled_event_id: newId('evt'),
      })),
    );
    const messageIds = outcomes.map((o) => o.attempt.messageId);
    const rows = await this.db.tx.$queryRaw<Array<{ recorded: number }>>`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS t(
          id text, message_id text, endpoint_id text, attempt_number int, attempted_at timestamptz, status_code int,
          duration_ms int, excerpt text, error varchar, status varchar, delay_ms double precision, disable_endpoint boolean, ord int,
          failed_event_id text, disabled_event_id text)
      ),
      before AS (
        SELECT e.id, e.enabled FROM webhook_endpoints e WHERE e.id IN (SELECT endpoint_id FROM input)
      ),
      attempt AS (
        INSERT INTO webhook_attempts (id, message_id, attempt_number, attempted_at, status_code, duration_ms, response_body_excerpt, error)
        SELECT i.id, i.message_id, i.attempt_number, i.attempted_at, i.status_code, i.duration_ms, i.excerpt, i.error
        FROM input i
        WHERE EXISTS (SELECT 1 FROM webhook_messages m WHERE m.id = i.message_id)
        ON CONFLICT (message_id, attempt_number) DO NOTHING
        RETURNING message_id
      ),
      outcome AS (
        UPDATE webhook_messages AS m
        SET status = i.status,
            delivered_at = CASE WHEN i.status = 'delivered' THEN now() ELSE m.delivered_at END,
            next_attempt_at = CASE WHEN i.status = 'pending' THEN now() + i.delay_ms * interval '1 millisecond' END,
            locked_until = NULL
        FROM input i
        -- Under the lease: delivering (which exactly the messages with a
        -- locked_until are, by constraint) with this attempt number. Not
        -- by status, nor without id = ANY(…): the planner then read every
        -- 'delivering' entry of the status index, dead ones included,
        -- instead of the primary key (migration webhook_due_probe).
        WHERE m.id = ANY(${messageIds}::text[]) AND m.id = i.message_id
          AND m.locked_until IS NOT NULL AND m.attempt_count = i.attempt_number
        RETURNING m.endpoint_id, i.status = 'delivered' AS delivered, i.disable_endpoint, i.ord,
                  i.status AS new_status, m.id AS message_id, m.org_id, m.event_id, m.event_type, i.attempt_number,
                  i.status_code, i.error, i.failed_event_id
      ),
      failed_events AS (
        INSERT INTO outbox_events (id, org_id, type, data)
        SELECT o.failed_event_id, o.org_id, 'webhook_message.failed',
               jsonb_build_object('messageId', o.message_id, 'endpointId', o.endpoint_id, 'eventId', o.event_id, 'eventType', o.event_type,
                                  'attempts', o.attempt_number, 'lastStatusCode', o.status_code, 'lastError', o.error)
        FROM outcome o
        WHERE o.new_status = 'failed' AND o.event_type NOT IN (${OPERATIONAL_QUIET_TYPES[0]}, ${OPERATIONAL_QUIET_TYPES[1]}, ${OPERATIONAL_QUIET_TYPES[2]})
        RETURNING id
      ),
      per_endpoint AS (
        SELECT endpoint_id,
               bool_or(delivered) AS any_delivered,
               bool_and(delivered) AS all_delivered,
               (array_agg(delivered ORDER BY ord DESC))[1] AS last_delivered,
               bool_or(disable_endpoint) AS gone
        FROM outcome
        GROUP BY endpoint_id
      ),
      endpoint AS (
        UPDATE webhook_endpoints AS e
        SET failing_since = CASE WHEN p.last_delivered THEN NULL WHEN p.any_delivered THEN now() ELSE COALESCE(e.failing_since, now()) END,
            enabled = CASE
              WHEN p.gone OR (NOT p.any_delivered AND e.failing_since <= now() - ${FAILING_ENDPOINT_DISABLE_AFTER}::interval) THEN false
              ELSE e.enabled END,
            disabled_reason = CASE
              WHEN NOT e.enabled THEN e.disabled_reason
              WHEN p.gone THEN 'gone'
              WHEN NOT p.any_delivered AND e.failing_since <= now() - ${FAILING_ENDPOINT_DISABLE_AFTER}::interval THEN 'failing'
              ELSE e.disabled_reason END
        FROM per_endpoint p
        WHERE e.id = p.endpoint_id
          AND (NOT p.all_delivered OR e.failing_since IS NOT NULL)
        RETURNING e.id, e.org_id, e.enabled, e.disabled_reason
      ),
      disabled_events AS (
        INSERT INTO outbox_events (id, org_id, type, data)
        SELECT (SELECT min(i.disabled_event_id) FROM input i WHERE i.endpoint_id = en.id), en.org_id, 'webhook_endpoint.disabled',
               jsonb_build_object('endpointId', en.id, 'reason', en.disabled_reason,
                                  'disabledAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
        FROM endpoint en JOIN before b ON b.id = en.id
        WHERE b.enabled AND NOT en.enabled
        RETURNING id
      )
      SELECT (SELECT count(*) FROM attempt)::int AS recorded, (SELECT count(*) FROM endpoint)::int AS endpoint_changes,
             (SELECT count(*) FROM failed_events)::int AS failed_events, (SELECT count(*) FROM disabled_events)::int AS disabled_events`;
    return rows[0]?.recorded ?? 0;
  }
}

/**
 * The fan-out's read (DeliveryRepository.claimUndispatchedEvents): a function
 * (migration outbox_undispatched_probe, which says why) whose FOR UPDATE SKIP
 * LOCKED holds the rows for the caller's transaction. Exported so a test can
 * count the rows it reads.
 */
export function claimUndispatchedEventsSql(limit: number): Prisma.Sql {
  return Prisma.sql`
      SELECT id, org_id AS "orgId", type, data, occurred_at AS "occurredAt"
      FROM outbox_undispatched_events(${limit}::int)`;
}

export interface ClaimCaps {
  perEndpoint: number;
  perOrg: number;
}

/** The claim statement of DeliveryRepository.claimDueMessages (exported so a test can count the rows it reads). */
export function claimDueMessagesSql(limit: number, leaseMs: number, caps: ClaimCaps): Prisma.Sql {
  return Prisma.sql`
      -- Messages delivering under a live lease, by a plain index scan
      -- (webhook_messages_in_flight, in the migration webhook_due_probe).
      WITH in_flight AS (SELECT endpoint_id, org_id FROM webhook_messages_in_flight()),
      endpoint_busy AS (SELECT endpoint_id, count(*) AS n FROM in_flight GROUP BY endpoint_id),
      org_busy AS (SELECT org_id, count(*) AS n FROM in_flight GROUP BY org_id),
      -- Each enabled endpoint's oldest due messages, no more than its free
      -- slots: one ordered probe of (endpoint_id, next_attempt_at, id) per
      -- endpoint (webhook_endpoint_due_messages, in the migration
      -- webhook_due_probe, which says why it is a function), so the cost
      -- follows the number of endpoints, not the backlog a dead one piles up.
      due AS (
        SELECT d.id, d.org_id, d.endpoint_id, d.next_attempt_at, d.endpoint_turn
        FROM webhook_endpoints e
        LEFT JOIN endpoint_busy b ON b.endpoint_id = e.id
        CROSS JOIN LATERAL (
          SELECT f.id, f.org_id, e.id AS endpoint_id, f.next_attempt_at,
                 row_number() OVER (ORDER BY f.next_attempt_at, f.id) AS endpoint_turn
          FROM webhook_endpoint_due_messages(e.id, LEAST(GREATEST(${caps.perEndpoint}::int - COALESCE(b.n, 0), 0), ${limit}::int)::int) f
        ) d
        WHERE e.enabled
      ),
      within_org_cap AS (
        SELECT d.*, row_number() OVER (PARTITION BY d.org_id ORDER BY d.endpoint_turn, d.next_attempt_at, d.id) AS org_turn
        FROM due d
      ),
      chosen AS (
        SELECT w.id
        FROM within_org_cap w
        LEFT JOIN org_busy b ON b.org_id = w.org_id
        WHERE w.org_turn <= ${caps.perOrg}::int - COALESCE(b.n, 0)
        ORDER BY w.endpoint_turn, w.next_attempt_at, w.id
        LIMIT ${limit}
      ),
      claimed AS (
        SELECT m.id
        FROM webhook_messages m
        WHERE m.id = ANY(ARRAY(SELECT id FROM chosen))
          -- Again here, where a row changed since the statement began is
          -- re-read under its lock: a message recorded meanwhile is not claimed
          -- (only a message still to be delivered has a next_attempt_at).
          AND m.next_attempt_at <= now()
          AND (m.locked_until IS NULL OR m.locked_until <= now())
        FOR UPDATE OF m SKIP LOCKED
      )
      UPDATE webhook_messages AS m
      SET status = 'delivering',
          attempt_count = m.attempt_count + 1,
          locked_until = now() + ${leaseMs}::double precision * interval '1 millisecond',
          next_attempt_at = now() + ${leaseMs}::double precision * interval '1 millisecond',
          last_attempt_at = now()
      FROM claimed, webhook_endpoints AS e
      WHERE m.id = claimed.id AND e.id = m.endpoint_id
      RETURNING m.id, m.org_id AS "orgId", m.endpoint_id AS "endpointId", m.body, m.attempt_count AS "attemptNumber",
                e.url, e.secret_sealed AS "secretSealed", e.previous_secret_sealed AS "previousSecretSealed",
                e.previous_secret_expires_at AS "previousSecretExpiresAt"`;
}
