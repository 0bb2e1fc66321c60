-- The head of each audit chain (one per organization, '-' for events outside
-- any organization), so appending finds the previous event by primary key and
-- serializes on that one row instead of scanning audit_events for its tail.
CREATE TABLE "audit_chain_heads" (
    "chain" VARCHAR(64) NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" VARCHAR(64) NOT NULL,

    CONSTRAINT "audit_chain_heads_pkey" PRIMARY KEY ("chain")
);

INSERT INTO "audit_chain_heads" ("chain", "seq", "hash")
SELECT DISTINCT ON ("org_id") COALESCE("org_id", '-'), "seq", "hash"
FROM "audit_events"
ORDER BY "org_id", "seq" DESC;
