-- Objects whose upload row is gone but whose bytes may still be stored: the
-- deletion of an upload records its key here in the same transaction as the
-- row's deletion, and the key leaves once the store has confirmed the delete,
-- so a failed delete is retried (by any instance) instead of forgotten.
-- CreateTable
CREATE TABLE "stored_object_deletions" (
    "key" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" VARCHAR(300),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stored_object_deletions_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "stored_object_deletions_next_attempt_at_idx" ON "stored_object_deletions"("next_attempt_at");
