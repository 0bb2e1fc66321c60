-- Signed requests (API.md §1b): a key's signing requirement and material.
-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "signature_alg" VARCHAR(16),
ADD COLUMN     "signing_secret_sealed" TEXT,
ADD COLUMN     "signing_public_key" JSONB;

-- A key requires at most one scheme, and carries exactly the material it needs.
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_signature_material_check" CHECK (
    ("signature_alg" IS NULL AND "signing_secret_sealed" IS NULL AND "signing_public_key" IS NULL)
    OR ("signature_alg" = 'hmac-sha256' AND "signing_secret_sealed" IS NOT NULL AND "signing_public_key" IS NULL)
    OR ("signature_alg" = 'ed25519' AND "signing_public_key" IS NOT NULL AND "signing_secret_sealed" IS NULL)
);

-- CreateTable
CREATE TABLE "request_nonces" (
    "key_id" TEXT NOT NULL,
    "nonce" VARCHAR(128) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "request_nonces_pkey" PRIMARY KEY ("key_id","nonce")
);

-- CreateIndex
CREATE INDEX "request_nonces_expires_at_idx" ON "request_nonces"("expires_at");
