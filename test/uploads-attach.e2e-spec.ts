// Attaching uploads to tracks (API guide: Releases and their lifecycle PUT …/tracks/:trackId/audio): only
// accepted uploads of the same organization, only on drafts; the attached
// audio is what the submit completeness check sees, and it cannot be deleted.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mp3, wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { Client } from 'pg';
import { DEFAULT_MIGRATIONS_DIR, applyMigrations } from '../src/platform/database/migrations/migration-applier';
import { startTestApp, TestApp } from './helpers/test-app';
import { createEmptyDatabase, type TestDatabase } from './helpers/test-database';
import { freshIsrc, freshUpc } from './releases.fixtures';

describe('Track audio', () => {
  let t: TestApp;
  let uploadDir: string;
  let org: OrgWithKey;

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-uploads-attach-'));
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
    org = await createOrgWithKey(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploadDir, { recursive: true, force: true });
  });

  const as = (key: string) => ({
    get: (url: string) => t.http.get(url).set('X-API-Key', key),
    post: (url: string, body?: object) => t.http.post(url).set('X-API-Key', key).send(body),
    put: (url: string, body?: object) => t.http.put(url).set('X-API-Key', key).send(body),
    delete: (url: string) => t.http.delete(url).set('X-API-Key', key),
  });

  async function upload(key: string, bytes: Buffer): Promise<Record<string, any>> {
    const res = await t.http.post('/v1/uploads').set('X-API-Key', key).attach('file', bytes, 'master.wav');
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function draftWithTrack(key: string, release: object = {}, track: object = {}): Promise<{ releaseId: string; trackId: string; audioUrl: string }> {
    const rel = await as(key).post('/v1/releases', { title: 'Kind of Blue', artists: ['Miles Davis'], ...release }).expect(201);
    const trk = await as(key).post(`/v1/releases/${rel.body.id}/tracks`, { title: 'So What', ...track }).expect(201);
    return { releaseId: rel.body.id, trackId: trk.body.id, audioUrl: `/v1/releases/${rel.body.id}/tracks/${trk.body.id}/audio` };
  }

  const trackEvents = (releaseId: string) =>
    t.prisma.outboxEvent.findMany({ where: { orgId: org.orgId, type: 'track.updated' } }).then((rows) => rows.filter((r) => (r.data as any).releaseId === releaseId));

  it('attaches an accepted upload: 200 with the track, a new release version, one track.updated event', async () => {
    const { releaseId, trackId, audioUrl } = await draftWithTrack(org.key);
    const before = await as(org.key).get(`/v1/releases/${releaseId}`).expect(200);
    const audio = await upload(org.key, wav());

    const res = await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(200);
    expect(res.body).toMatchObject({ id: trackId, releaseId, audioUploadId: audio.id });

    const after = await as(org.key).get(`/v1/releases/${releaseId}`).expect(200);
    expect(after.body.version).toBe(before.body.version + 1);
    expect(after.body.tracks[0].audioUploadId).toBe(audio.id);
    const events = await trackEvents(releaseId);
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ releaseId, track: { id: trackId, audioUploadId: audio.id } });

    // The same audio again changes nothing.
    await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(200);
    expect((await as(org.key).get(`/v1/releases/${releaseId}`)).body.version).toBe(after.body.version);
    expect(await trackEvents(releaseId)).toHaveLength(1);
  });

  it('refuses a rejected upload with 422 naming its problems', async () => {
    const { audioUrl, releaseId } = await draftWithTrack(org.key);
    const lossy = await upload(org.key, mp3());
    const res = await as(org.key).put(audioUrl, { uploadId: lossy.id }).expect(422);
    expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#upload-not-accepted', problems: ['lossy'] });
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'uploadId' })]);
    const release = await as(org.key).get(`/v1/releases/${releaseId}`).expect(200);
    expect(release.body.tracks[0].audioUploadId).toBeNull();
    expect(await trackEvents(releaseId)).toHaveLength(0);
  });

  it("refuses another organization's upload (404, as if it did not exist)", async () => {
    const { audioUrl, releaseId } = await draftWithTrack(org.key);
    const other = await createOrgWithKey(t);
    const theirs = await upload(other.key, wav());
    const res = await as(org.key).put(audioUrl, { uploadId: theirs.id }).expect(404);
    expect(res.body.detail).toBe('The upload does not exist.');
    await as(org.key).put(audioUrl, { uploadId: 'upl_01JF3Z0000000000000000000A' }).expect(404);
    await as(org.key).put(audioUrl, { uploadId: '../etc' }).expect(404);
    expect((await as(org.key).get(`/v1/releases/${releaseId}`)).body.tracks[0].audioUploadId).toBeNull();
  });

  it("answers 404 for another organization's release or track, and an unknown track", async () => {
    const audio = await upload(org.key, wav());
    const other = await createOrgWithKey(t);
    const theirs = await draftWithTrack(other.key);
    await as(org.key).put(theirs.audioUrl, { uploadId: audio.id }).expect(404);
    const mine = await draftWithTrack(org.key);
    await as(org.key).put(`/v1/releases/${mine.releaseId}/tracks/trk_01JF3Z0000000000000000000A/audio`, { uploadId: audio.id }).expect(404);
    await as(org.key).put(`/v1/releases/${mine.releaseId}/tracks/${theirs.trackId}/audio`, { uploadId: audio.id }).expect(404);
  });

  it('validates the body', async () => {
    const { audioUrl } = await draftWithTrack(org.key);
    await as(org.key).put(audioUrl, {}).expect(400);
    const audio = await upload(org.key, wav());
    await as(org.key).put(audioUrl, { uploadId: audio.id, status: 'accepted' }).expect(400);
  });

  it('needs releases:write', async () => {
    const { audioUrl } = await draftWithTrack(org.key);
    const audio = await upload(org.key, wav());
    const { orgId, ...uploader } = await createOrgWithKey(t, ['uploads:read', 'uploads:write', 'releases:read']);
    expect(orgId).not.toBe(org.orgId);
    // Scopes are checked before tenancy: a key without releases:write learns nothing.
    const res = await as(uploader.key).put(audioUrl, { uploadId: audio.id }).expect(403);
    expect(res.body.detail).toContain('releases:write');
  });

  it('keeps attached audio: the upload cannot be deleted until detached', async () => {
    const { audioUrl } = await draftWithTrack(org.key);
    const audio = await upload(org.key, wav());
    await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(200);
    await as(org.key).delete(`/v1/uploads/${audio.id}`).expect(409);

    const detached = await as(org.key).delete(audioUrl).expect(200);
    expect(detached.body.audioUploadId).toBeNull();
    await as(org.key).delete(`/v1/uploads/${audio.id}`).expect(204);
  });

  it('replaces the audio, freeing the previous upload', async () => {
    const { audioUrl } = await draftWithTrack(org.key);
    const first = await upload(org.key, wav());
    const second = await upload(org.key, wav({ durationMs: 2000 }));
    await as(org.key).put(audioUrl, { uploadId: first.id }).expect(200);
    await as(org.key).put(audioUrl, { uploadId: second.id }).expect(200);
    await as(org.key).delete(`/v1/uploads/${first.id}`).expect(204);
    await as(org.key).delete(`/v1/uploads/${second.id}`).expect(409);
  });

  it("keeps the upload's trackId in step with the track it is attached to", async () => {
    const { audioUrl, trackId } = await draftWithTrack(org.key);
    const first = await upload(org.key, wav());
    const second = await upload(org.key, wav());
    const trackIdOf = async (id: string) => (await as(org.key).get(`/v1/uploads/${id}`).expect(200)).body.trackId;

    await as(org.key).put(audioUrl, { uploadId: first.id }).expect(200);
    expect(await trackIdOf(first.id)).toBe(trackId);
    const listed = await as(org.key).get('/v1/uploads?limit=5').expect(200);
    expect(listed.body.data.find((u: { id: string }) => u.id === first.id).trackId).toBe(trackId);

    await as(org.key).put(audioUrl, { uploadId: second.id }).expect(200);
    expect(await trackIdOf(first.id)).toBeNull();
    expect(await trackIdOf(second.id)).toBe(trackId);
    await as(org.key).delete(audioUrl).expect(200);
    expect(await trackIdOf(second.id)).toBeNull();
  });

  it('refuses a second track for one upload with 409 upload-already-attached, in the same release or another', async () => {
    const first = await draftWithTrack(org.key);
    const audio = await upload(org.key, wav());
    await as(org.key).put(first.audioUrl, { uploadId: audio.id }).expect(200);

    const sameRelease = await as(org.key).post(`/v1/releases/${first.releaseId}/tracks`, { title: 'Freddie Freeloader' }).expect(201);
    const otherRelease = await draftWithTrack(org.key, {}, { isrc: freshIsrc() });
    for (const url of [`/v1/releases/${first.releaseId}/tracks/${sameRelease.body.id}/audio`, otherRelease.audioUrl]) {
      const res = await as(org.key).put(url, { uploadId: audio.id }).expect(409);
      expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#upload-already-attached', trackIds: [first.trackId] });
    }
    const other = await as(org.key).get(`/v1/releases/${otherRelease.releaseId}`).expect(200);
    expect(other.body.tracks[0].audioUploadId).toBeNull();
    expect((await as(org.key).get(`/v1/uploads/${audio.id}`)).body.trackId).toBe(first.trackId);

    // Once detached there, it can go elsewhere.
    await as(org.key).delete(first.audioUrl).expect(200);
    await as(org.key).put(otherRelease.audioUrl, { uploadId: audio.id }).expect(200);
  });

  it('lets only one of two concurrent attaches of one upload through', async () => {
    const a = await draftWithTrack(org.key);
    const b = await draftWithTrack(org.key);
    const audio = await upload(org.key, wav());
    const statuses = (await Promise.all([a, b].map((d) => as(org.key).put(d.audioUrl, { uploadId: audio.id })))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(await t.prisma.track.count({ where: { audioUploadId: audio.id } })).toBe(1);
  });

  it('counts for submission, and is frozen once the release is submitted (409)', async () => {
    const { releaseId, audioUrl } = await draftWithTrack(org.key, { upc: freshUpc(), releaseDate: '2026-06-01' }, { isrc: freshIsrc() });
    const incomplete = await as(org.key).post(`/v1/releases/${releaseId}/submit`).expect(422);
    expect(incomplete.body.errors).toEqual([expect.objectContaining({ field: 'tracks.0.audio' })]);

    const audio = await upload(org.key, wav());
    await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(200);
    await as(org.key).post(`/v1/releases/${releaseId}/submit`).expect(200);

    const other = await upload(org.key, wav());
    await as(org.key).put(audioUrl, { uploadId: other.id }).expect(409);
    await as(org.key).delete(audioUrl).expect(409);
  });

  it('checks the track (404), then the upload (404, 422), then the release status (409)', async () => {
    const { releaseId, trackId, audioUrl } = await draftWithTrack(org.key, { upc: freshUpc(), releaseDate: '2026-06-01' }, { isrc: freshIsrc() });
    const audio = await upload(org.key, wav());
    await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(200);
    await as(org.key).post(`/v1/releases/${releaseId}/submit`).expect(200);
    const lossy = await upload(org.key, mp3());

    const unknownTrack = `/v1/releases/${releaseId}/tracks/trk_01JF3Z0000000000000000000A/audio`;
    expect((await as(org.key).put(unknownTrack, { uploadId: 'upl_01JF3Z0000000000000000000A' }).expect(404)).body.detail).toBe('The track does not exist.');
    expect((await as(org.key).put(audioUrl, { uploadId: 'upl_01JF3Z0000000000000000000A' }).expect(404)).body.detail).toBe('The upload does not exist.');
    await as(org.key).put(audioUrl, { uploadId: lossy.id }).expect(422);
    await as(org.key).put(audioUrl, { uploadId: audio.id }).expect(409);
    const release = await as(org.key).get(`/v1/releases/${releaseId}`).expect(200);
    expect(release.body.tracks).toEqual([expect.objectContaining({ id: trackId, audioUploadId: audio.id })]);
  });
});

describe('migration 20261205003000_one_track_per_upload', () => {
  const MIGRATION = '20261205003000_one_track_per_upload';
  let database: TestDatabase;
  const dirs: string[] = [];
  afterAll(async () => {
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves uploads shared by several tracks deterministically, then makes it impossible', async () => {
    database = await createEmptyDatabase();
    // Everything before this migration, then rows as the old schema allowed them.
    const before = mkdtempSync(path.join(tmpdir(), 'musicpub-migrations-'));
    dirs.push(before);
    for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
      if (name < MIGRATION || name === 'migration_lock.toml') cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    }
    await applyMigrations({ connectionString: database.url, migrationsDir: before });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      await db.query(`
        INSERT INTO organizations (id, name) VALUES ('org_1', 'Label');
        INSERT INTO releases (id, org_id, title, status, version, updated_at) VALUES
          ('rel_a', 'org_1', 'Draft A', 'draft', 1, now()),
          ('rel_b', 'org_1', 'Live B', 'live', 3, now()),
          ('rel_c', 'org_1', 'Draft C', 'draft', 1, now());
        INSERT INTO uploads (id, org_id, filename, size, sha256, mime_type, container, codec, sample_rate, bits_per_sample, channels, duration_ms, status, problems)
          SELECT u, 'org_1', 'x.wav', 1, repeat('0', 64), 'audio/wav', 'WAV', 'PCM', 44100, 16, 2, 1000, 'accepted', '{}' FROM unnest(ARRAY['upl_1', 'upl_2']) AS u;
        INSERT INTO tracks (id, org_id, release_id, track_number, title, audio_upload_id, updated_at) VALUES
          ('trk_1', 'org_1', 'rel_a', 1, 'Oldest, on a draft', 'upl_1', now()),
          ('trk_2', 'org_1', 'rel_b', 1, 'On a live release', 'upl_1', now()),
          ('trk_3', 'org_1', 'rel_c', 1, 'Oldest of two drafts', 'upl_2', now()),
          ('trk_4', 'org_1', 'rel_a', 2, 'Newer draft', 'upl_2', now());
      `);
      await applyMigrations({ connectionString: database.url });

      const { rows: tracks } = await db.query<{ id: string; audio_upload_id: string | null }>('SELECT id, audio_upload_id FROM tracks ORDER BY id');
      // The live release keeps upl_1; of two drafts, the oldest track keeps upl_2.
      expect(tracks).toEqual([
        { id: 'trk_1', audio_upload_id: null },
        { id: 'trk_2', audio_upload_id: 'upl_1' },
        { id: 'trk_3', audio_upload_id: 'upl_2' },
        { id: 'trk_4', audio_upload_id: null },
      ]);
      const { rows: releases } = await db.query<{ id: string; version: number }>('SELECT id, version FROM releases ORDER BY id');
      expect(releases).toEqual([
        { id: 'rel_a', version: 2 },
        { id: 'rel_b', version: 3 },
        { id: 'rel_c', version: 1 },
      ]);
      await expect(db.query(`UPDATE tracks SET audio_upload_id = 'upl_1' WHERE id = 'trk_1'`)).rejects.toMatchObject({ code: '23505' });
    } finally {
      await db.end();
    }
  });
});
