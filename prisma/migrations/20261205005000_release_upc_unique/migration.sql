-- A UPC/EAN identifies one product, so two releases of one organization may
-- not share it (as ISRCs already may not be shared by two tracks).
--
-- Releases that already share one are resolved deterministically: the oldest
-- release (created_at, then id) keeps the code; the others lose it (upc set to
-- NULL) and move to a new version, so their ETags change and a client holding
-- one is told to re-read before it writes. A UPC-A and the EAN-13 made of it
-- with a leading 0 are the same code.
WITH ranked AS (
    SELECT "id",
           row_number() OVER (PARTITION BY "org_id", lpad("upc", 13, '0') ORDER BY "created_at", "id") AS "rank"
      FROM "releases"
     WHERE "upc" IS NOT NULL
)
UPDATE "releases" AS r
   SET "upc" = NULL,
       "version" = r."version" + 1,
       "updated_at" = now()
  FROM ranked
 WHERE r."id" = ranked."id"
   AND ranked."rank" > 1;

-- NULLs never collide in a unique index, so releases without a code are unaffected.
CREATE UNIQUE INDEX "releases_org_id_upc_key" ON "releases"("org_id", "upc");
