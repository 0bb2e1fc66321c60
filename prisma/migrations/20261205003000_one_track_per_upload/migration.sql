-- A master belongs to one recording: an upload is the audio of at most one
-- track. Until now nothing stopped two tracks (even of two releases) from
-- sharing one upload, so existing duplicates are resolved first, the same
-- way on every database: the upload stays with a track of a release past
-- draft (frozen: its audio can no longer change), else with the oldest
-- track (ids are time-ordered ULIDs); every other track loses its audio.
-- The releases of those tracks, drafts by construction, get a new version,
-- so an ETag taken before the migration no longer matches.
WITH ranked AS (
    SELECT t."id",
           row_number() OVER (
               PARTITION BY t."audio_upload_id"
               ORDER BY (r."status" = 'draft'), t."id"
           ) AS "rank"
    FROM "tracks" t
    JOIN "releases" r ON r."id" = t."release_id"
    WHERE t."audio_upload_id" IS NOT NULL
),
detached AS (
    UPDATE "tracks" t
    SET "audio_upload_id" = NULL, "updated_at" = CURRENT_TIMESTAMP
    FROM ranked
    WHERE ranked."id" = t."id" AND ranked."rank" > 1
    RETURNING t."release_id"
)
UPDATE "releases"
SET "version" = "version" + 1, "updated_at" = CURRENT_TIMESTAMP
WHERE "id" IN (SELECT "release_id" FROM detached);

-- DropIndex
DROP INDEX "tracks_audio_upload_id_idx";

-- CreateIndex
CREATE UNIQUE INDEX "tracks_audio_upload_id_key" ON "tracks"("audio_upload_id");
