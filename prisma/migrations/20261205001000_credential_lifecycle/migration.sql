-- Credentials that defend themselves (issue 17): per-organization key
-- rotation policy, expiry notices sent once per key and threshold, partner
-- secret rotation with a grace period, and the index that pages one key's
-- activity in the audit trail.

-- CreateTable
CREATE TABLE "key_policies" (
    "org_id" TEXT NOT NULL,
    "max_key_age_days" INTEGER,
    "expiry_notice_days" INTEGER NOT NULL DEFAULT 14,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "key_policies_pkey" PRIMARY KEY ("org_id")
);

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN "expiring_notified_at" TIMESTAMPTZ(3),
ADD COLUMN "expired_notified_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "partners" ADD COLUMN "previous_secret_sealed" TEXT,
ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3);

-- Keys that expired before expiry events existed are not announced now.
UPDATE "api_keys" SET "expired_notified_at" = "expires_at" WHERE "expires_at" <= now();

-- CreateIndex
CREATE INDEX "api_keys_expires_at_idx" ON "api_keys"("expires_at");

-- CreateIndex
CREATE INDEX "audit_events_org_id_actor_id_id_idx" ON "audit_events"("org_id", "actor_id", "id");

-- AddForeignKey
ALTER TABLE "key_policies" ADD CONSTRAINT "key_policies_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
