-- Every mutating request now claims its Idempotency-Key with a transaction-
-- scoped lock and stores its response in the same transaction, so a record is
-- only ever written complete: the committed in-flight lease (state,
-- locked_until) that streamed uploads used is gone. A lease left by an older
-- version only ever guarded a request that never committed.
DELETE FROM "idempotency_records" WHERE "state" <> 'completed' OR "response_status" IS NULL;

-- AlterTable
ALTER TABLE "idempotency_records" DROP COLUMN "state",
DROP COLUMN "locked_until",
ALTER COLUMN "response_status" SET NOT NULL,
ALTER COLUMN "response_headers" SET NOT NULL,
ALTER COLUMN "response_body" SET NOT NULL;
