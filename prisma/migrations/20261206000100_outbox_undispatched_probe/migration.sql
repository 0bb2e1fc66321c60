-- The fan-out reads the oldest undispatched outbox events, locked for its
-- transaction. Marking an event dispatched leaves a dead entry at the head of
-- (dispatched_at, id) until vacuum, which on a large outbox comes rarely
-- (after a fifth of the table has changed); the planner, expecting a few
-- rows, read them with a bitmap scan that fetched every one of those dead
-- entries on every batch, never marking them, and sorted what was left. This
-- function reads the index in order (ORDER BY dispatched_at, id is its order;
-- every row here has a null dispatched_at, so it is the order of ids), stops
-- at the batch, and marks dead entries as it passes them so later batches
-- skip them. The planner settings apply to this one query, not to the session.
CREATE FUNCTION "outbox_undispatched_events"("p_limit" integer)
RETURNS TABLE ("id" text, "org_id" text, "type" varchar, "data" jsonb, "occurred_at" timestamptz)
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
  SELECT e."id", e."org_id", e."type", e."data", e."occurred_at"
  FROM "outbox_events" e
  WHERE e."dispatched_at" IS NULL
  ORDER BY e."dispatched_at", e."id"
  LIMIT p_limit
  FOR UPDATE SKIP LOCKED
$$;
