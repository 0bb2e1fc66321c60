-- CreateTable
CREATE TABLE "releases" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'draft',
    "status_reason" VARCHAR(1000),
    "title" VARCHAR(500) NOT NULL,
    "artists" TEXT[],
    "label" VARCHAR(200),
    "upc" VARCHAR(13),
    "release_date" DATE,
    "original_release_date" DATE,
    "genre" VARCHAR(100),
    "language" VARCHAR(35),
    "explicit" BOOLEAN NOT NULL DEFAULT false,
    "copyright_line" VARCHAR(300),
    "phonographic_line" VARCHAR(300),
    "territories" TEXT[],
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "releases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tracks" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "release_id" TEXT NOT NULL,
    "track_number" INTEGER NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "isrc" VARCHAR(12),
    "iswc" VARCHAR(15),
    "explicit" BOOLEAN NOT NULL DEFAULT false,
    "audio_upload_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tracks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "track_contributors" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "track_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "role" VARCHAR(16) NOT NULL,

    CONSTRAINT "track_contributors_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "releases_org_id_id_idx" ON "releases"("org_id", "id");

-- CreateIndex
CREATE INDEX "releases_org_id_status_id_idx" ON "releases"("org_id", "status", "id");

-- CreateIndex
CREATE UNIQUE INDEX "tracks_release_id_track_number_key" ON "tracks"("release_id", "track_number");

-- CreateIndex
CREATE UNIQUE INDEX "tracks_org_id_isrc_key" ON "tracks"("org_id", "isrc");

-- CreateIndex
CREATE UNIQUE INDEX "track_contributors_track_id_position_key" ON "track_contributors"("track_id", "position");

-- CreateIndex
CREATE INDEX "track_contributors_org_id_idx" ON "track_contributors"("org_id");

-- AddForeignKey
ALTER TABLE "releases" ADD CONSTRAINT "releases_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracks" ADD CONSTRAINT "tracks_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_contributors" ADD CONSTRAINT "track_contributors_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track_contributors" ADD CONSTRAINT "track_contributors_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "tracks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
