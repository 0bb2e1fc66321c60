-- Fair claiming (issue 14.3) reads each endpoint's oldest due messages in
-- (next_attempt_at, id) order: one range probe per endpoint, whatever the
-- backlog of other endpoints (id included: a fan-out gives a whole batch the
-- same next_attempt_at). Delivered and failed messages have a null
-- next_attempt_at and fall outside every probe.
CREATE INDEX "webhook_messages_endpoint_id_next_attempt_at_id_idx" ON "webhook_messages"("endpoint_id", "next_attempt_at", "id");
