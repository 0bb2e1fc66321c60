-- The audit chain becomes keyed (issue 14.4): new events are hashed with
-- HMAC-SHA-256 under AUDIT_HMAC_KEY (version 2). Rows already written keep
-- their unkeyed SHA-256 hash (version 1) and still verify.
--
-- Adding a column with a constant default rewrites no row, so the
-- append-only trigger is not involved; the default then goes, so every
-- insert names its version.
ALTER TABLE "audit_events" ADD COLUMN "hash_version" SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE "audit_events" ALTER COLUMN "hash_version" DROP DEFAULT;

-- How far each chain may carry version 1 hashes: its length now. A chain
-- rewritten into the unkeyed form beyond that no longer verifies; chains
-- started from now on have none.
ALTER TABLE "audit_chain_heads" ADD COLUMN "legacy_seq" BIGINT NOT NULL DEFAULT 0;
UPDATE "audit_chain_heads" SET "legacy_seq" = "seq";
