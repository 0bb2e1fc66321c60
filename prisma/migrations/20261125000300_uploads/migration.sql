-- CreateTable
CREATE TABLE "uploads" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "mime_type" VARCHAR(32) NOT NULL,
    "container" VARCHAR(8) NOT NULL,
    "codec" VARCHAR(32) NOT NULL,
    "sample_rate" INTEGER NOT NULL,
    "bits_per_sample" INTEGER,
    "channels" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status" VARCHAR(8) NOT NULL,
    "problems" TEXT[],
    "track_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "uploads_org_id_id_idx" ON "uploads"("org_id", "id");

-- CreateIndex
CREATE INDEX "tracks_audio_upload_id_idx" ON "tracks"("audio_upload_id");

-- AddForeignKey
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
-- NO ACTION rather than RESTRICT: the check runs at the end of the statement,
-- so deleting an organization (which cascades to its tracks and its uploads in
-- one statement) still works, while deleting an upload a track uses fails.
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_audio_upload_id_fkey" FOREIGN KEY ("audio_upload_id") REFERENCES "uploads"("id") ON DELETE NO ACTION ON UPDATE CASCADE;
