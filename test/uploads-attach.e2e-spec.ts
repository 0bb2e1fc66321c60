// Attaching uploads to tracks (API.md §3 PUT …/tracks/:trackId/audio): only
// accepted uploads of the same organization, only on drafts; the attached
// audio is what the submit completeness check sees, and it cannot be deleted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mp3, wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
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
