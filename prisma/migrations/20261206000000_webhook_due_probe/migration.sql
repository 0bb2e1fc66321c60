-- What a delivery claim reads must not grow with the backlog, nor with the
-- messages delivered since the last vacuum: it runs once per group of
-- finished deliveries, and at 3-13 ms a claim one endpoint got under 700
-- deliveries a second. What follows keeps it small whatever the statistics.
--
-- 1. Only messages still to be delivered (pending, or delivering under a
-- lease) have a next_attempt_at, so "due" needs no condition on status (one
-- on status let the planner AND the status index in and read the whole
-- backlog). recordAttempts has always cleared it for delivered and failed
-- messages; the UPDATEs only normalise rows that could predate that. The
-- constraint is added NOT VALID and then validated, so checking the existing
-- rows does not hold writes back.
UPDATE "webhook_messages" SET "next_attempt_at" = NULL
WHERE "status" NOT IN ('pending', 'delivering') AND "next_attempt_at" IS NOT NULL;
UPDATE "webhook_messages" SET "next_attempt_at" = now()
WHERE "status" IN ('pending', 'delivering') AND "next_attempt_at" IS NULL;

ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_due_shape"
  CHECK (("next_attempt_at" IS NOT NULL) = ("status" IN ('pending', 'delivering'))) NOT VALID;
ALTER TABLE "webhook_messages" VALIDATE CONSTRAINT "webhook_messages_due_shape";

-- Likewise exactly the messages being delivered hold a lease (a past one when
-- their worker died), so recording an outcome checks the lease by
-- locked_until and attempt number, and finds the messages by primary key:
-- a condition on status let the planner AND the status index in, and read
-- every 'delivering' entry in it, dead ones included (2,000 for 16 recorded).
UPDATE "webhook_messages" SET "locked_until" = NULL
WHERE "status" <> 'delivering' AND "locked_until" IS NOT NULL;
UPDATE "webhook_messages" SET "locked_until" = now()
WHERE "status" = 'delivering' AND "locked_until" IS NULL;

ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_lease_shape"
  CHECK (("locked_until" IS NOT NULL) = ("status" = 'delivering')) NOT VALID;
ALTER TABLE "webhook_messages" VALIDATE CONSTRAINT "webhook_messages_lease_shape";

-- 2. The per-endpoint probe, through (endpoint_id, next_attempt_at, id) in
-- index order, stopping at the endpoint's free slots, is a function planned
-- with bitmap scans and sorts off. A fan-out burst outruns the statistics (a
-- new table has none; a table analysed while it held only finished messages
-- expects a handful due), and on such estimates the planner chose a bitmap
-- scan of the endpoint's due messages and a sort of all of them, on every
-- claim: 13 ms a claim with 10,000 due, where reading them in index order
-- stops after the few it takes. The settings apply to this one query, not to
-- the session (nor to a pooler's other clients).
CREATE FUNCTION "webhook_endpoint_due_messages"("p_endpoint_id" text, "p_limit" integer)
RETURNS TABLE ("id" text, "org_id" text, "next_attempt_at" timestamptz)
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
  SELECT m."id", m."org_id", m."next_attempt_at"
  FROM "webhook_messages" m
  WHERE m."endpoint_id" = p_endpoint_id
    AND m."next_attempt_at" <= now()
    AND (m."locked_until" IS NULL OR m."locked_until" <= now())
  ORDER BY m."next_attempt_at", m."id"
  LIMIT p_limit
$$;

-- 3. Messages in flight (delivering under a live lease) are read by a plain
-- index scan, also a function with bitmap scans off. Every delivery leaves a
-- dead 'delivering' entry in the status index until vacuum; a plain scan
-- marks each one dead the first time it passes it and skips it after, while
-- a bitmap scan (the planner's choice for a few expected rows) fetched all of
-- them on every claim: 28,000 entries for 15 in flight, mid-benchmark.
CREATE FUNCTION "webhook_messages_in_flight"()
RETURNS TABLE ("endpoint_id" text, "org_id" text)
LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
  SELECT m."endpoint_id", m."org_id"
  FROM "webhook_messages" m
  WHERE m."status" = 'delivering' AND m."locked_until" > now()
$$;
