// OWASP API6:2023 Unrestricted Access to Sensitive Business Flows. The
// release pipeline (draft → submitted → approved → live → taken_down, API guide:
// Releases and their lifecycle) is the flow worth abusing: submitting something incomplete, publishing
// without the publish scope, jumping or reversing states through /status or a
// partner callback, editing what was already submitted, racing two decisions,
// and probing another organization's ISRCs. Each attempt is refused with the
// documented status, and the release, its tracks and its events stay as they
// were.
import { PartnersService } from '../src/modules/partners/partners.service';
import { RELEASE_STATUSES, canTransition, type ReleaseStatus } from '../src/modules/releases/release-lifecycle';
import { newId } from '../src/platform/ids';
import { mp3, wav } from './helpers/audio-fixtures';
import { partnerCallbackHeaders } from './helpers/partner-callback-headers';
import { expectProblemJson } from './helpers/problem-json';
import { startSecurityApp } from './helpers/security-tenant';
import type { TestApp } from './helpers/test-app';
import { addTrack, Client, completeDraft, createRelease, freshIsrc, newClient, outboxFor, releaseIn, freshUpc } from './releases.fixtures';

describe('OWASP API6 — sensitive business flows', () => {
  let t: TestApp;
  let c: Client;

  beforeAll(async () => {
    t = await startSecurityApp();
    c = await newClient(t);
  });
  afterAll(() => t.close());

  /** What a refused step must leave as it was. */
  async function snapshot(releaseId: string) {
    const release = await t.prisma.release.findUniqueOrThrow({ where: { id: releaseId }, include: { tracks: { orderBy: { id: 'asc' } } } });
    return { release, events: (await outboxFor(t, release.orgId)).filter((e) => e.data?.release?.id === releaseId || e.data?.id === releaseId).length };
  }

  describe('submitting', () => {
    it('answers an empty draft with 422 listing every missing item, and leaves it a draft', async () => {
      const release = await createRelease(c);
      const before = await snapshot(release.id);
      const res = await c.post(`/v1/releases/${release.id}/submit`);
      expect(expectProblemJson(res, 422).errors.map((e: { field: string }) => e.field)).toEqual(['upc', 'releaseDate', 'tracks']);
      expect(await snapshot(release.id)).toEqual(before);
    });

    it('names each track without an ISRC or accepted audio', async () => {
      const release = await createRelease(c, { upc: freshUpc(), releaseDate: '2026-06-01' });
      await addTrack(c, release.id, { title: 'One' });
      await addTrack(c, release.id, { title: 'Two', isrc: freshIsrc() });
      const res = await c.post(`/v1/releases/${release.id}/submit`);
      expect(expectProblemJson(res, 422).errors.map((e: { field: string }) => e.field)).toEqual(['tracks.0.isrc', 'tracks.0.audio', 'tracks.1.audio']);
    });

    it('will not take a lossy or otherwise rejected upload as a track’s audio', async () => {
      const release = await createRelease(c, { upc: freshUpc(), releaseDate: '2026-06-01' });
      const track = await addTrack(c, release.id, { isrc: freshIsrc() });
      for (const bytes of [mp3({ durationMs: 1500 }), wav({ sampleRate: 22_050 }), wav({ channels: 1 })]) {
        const upload = await t.http.post('/v1/uploads').set('X-API-Key', c.key).attach('file', bytes, { filename: 'x.bin' }).expect(201);
        expect(upload.body.status).toBe('rejected');
        const res = await t.http.put(`/v1/releases/${release.id}/tracks/${track.id}/audio`).set('X-API-Key', c.key).send({ uploadId: upload.body.id });
        expectProblemJson(res, 422);
      }
      expectProblemJson(await c.post(`/v1/releases/${release.id}/submit`), 422);
    });

    it('cannot submit twice, nor submit anything that is not a draft', async () => {
      const submitted = await releaseIn(t, c, 'submitted');
      expectProblemJson(await c.post(`/v1/releases/${submitted.id}/submit`), 409);
      const live = await releaseIn(t, c, 'live');
      expectProblemJson(await c.post(`/v1/releases/${live.id}/submit`), 409);
    });

    it('lets exactly one of two concurrent submissions through', async () => {
      const draft = await completeDraft(t, c);
      const results = await Promise.all([c.post(`/v1/releases/${draft.id}/submit`), c.post(`/v1/releases/${draft.id}/submit`)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const events = (await outboxFor(t, c.orgId)).filter((e) => e.type === 'release.status_changed' && e.data.release.id === draft.id);
      expect(events).toHaveLength(1);
    });
  });

  describe('publishing', () => {
    it('needs releases:publish: a writer can submit but never approve or publish', async () => {
      const writer = await newClient(t, ['releases:read', 'releases:write']);
      const draft = await completeDraft(t, writer);
      await writer.post(`/v1/releases/${draft.id}/submit`).expect(200);
      for (const status of ['approved', 'live']) {
        expect(expectProblemJson(await writer.post(`/v1/releases/${draft.id}/status`, { status }), 403).missingScopes).toEqual(['releases:publish']);
      }
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: draft.id } })).status).toBe('submitted');
    });

    const illegal: Array<[ReleaseStatus, ReleaseStatus]> = [];
    for (const from of RELEASE_STATUSES) for (const to of RELEASE_STATUSES) if (to === 'submitted' || !canTransition(from, to)) illegal.push([from, to]);

    it.each(illegal)('refuses %s → %s through /status with 409 and changes nothing', async (from, to) => {
      const release = await releaseIn(t, c, from);
      const before = await snapshot(release.id);
      const res = await c.post(`/v1/releases/${release.id}/status`, { status: to });
      expectProblemJson(res, 409);
      expect(await snapshot(release.id)).toEqual(before);
    });

    it('refuses a decision made on a stale read (If-Match) with 412', async () => {
      const submitted = await releaseIn(t, c, 'submitted');
      const res = await c.post(`/v1/releases/${submitted.id}/status`, { status: 'approved' }).set('If-Match', `"v${submitted.version - 1}"`);
      expectProblemJson(res, 412);
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: submitted.id } })).status).toBe('submitted');
    });

    it('lets exactly one of two concurrent, contradictory decisions win', async () => {
      const submitted = await releaseIn(t, c, 'submitted');
      const results = await Promise.all([c.post(`/v1/releases/${submitted.id}/status`, { status: 'approved' }), c.post(`/v1/releases/${submitted.id}/status`, { status: 'rejected' })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!.body.status;
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: submitted.id } })).status).toBe(winner);
    });
  });

  describe('changing what was submitted', () => {
    it('refuses every edit of a submitted release: metadata, tracks, audio, deletion, and deleting its audio upload', async () => {
      const submitted = await releaseIn(t, c, 'submitted');
      const [track] = submitted.tracks as Array<{ id: string; audioUploadId: string }>;
      const before = await snapshot(submitted.id);
      const attempts = [
        c.patch(`/v1/releases/${submitted.id}`, { upc: '4006381333931' }),
        c.delete(`/v1/releases/${submitted.id}`),
        c.post(`/v1/releases/${submitted.id}/tracks`, { title: 'Bonus' }),
        c.patch(`/v1/releases/${submitted.id}/tracks/${track.id}`, { isrc: freshIsrc() }),
        c.delete(`/v1/releases/${submitted.id}/tracks/${track.id}`),
        t.http.delete(`/v1/releases/${submitted.id}/tracks/${track.id}/audio`).set('X-API-Key', c.key),
        c.delete(`/v1/uploads/${track.audioUploadId}`),
      ];
      for (const res of await Promise.all(attempts)) expectProblemJson(res, 409);
      expect(await snapshot(submitted.id)).toEqual(before);
    });
  });

  describe('ISRC uniqueness', () => {
    it('is enforced within an organization (409) and reveals nothing across organizations', async () => {
      const isrc = freshIsrc();
      const release = await createRelease(c);
      await addTrack(c, release.id, { isrc });
      const again = await c.post(`/v1/releases/${release.id}/tracks`, { title: 'Copy', isrc: isrc.toLowerCase() });
      expectProblemJson(again, 409);
      const other = await newClient(t);
      const theirs = await createRelease(other);
      await other.post(`/v1/releases/${theirs.id}/tracks`, { title: 'Same code elsewhere', isrc }).expect(201);
    });
  });

  describe('partner callbacks', () => {
    let partner: { partnerId: string; secret: string };

    beforeAll(async () => {
      partner = await t.app.get(PartnersService).create(c.orgId, 'Store');
    });

    function callback(type: string, releaseId: string) {
      const body = JSON.stringify({ type, data: { releaseId } });
      const id = `flow_${newId('evt')}`;
      return t.http
        .post(`/v1/partners/${partner.partnerId}/callbacks`)
        .set({ 'Content-Type': 'application/json', ...partnerCallbackHeaders(partner.secret, id, body) })
        .send(body);
    }

    const skips: Array<[string, ReleaseStatus]> = [
      ['release.live', 'draft'],
      ['release.live', 'submitted'],
      ['release.live', 'rejected'],
      ['release.live', 'taken_down'],
      ['release.live', 'live'],
      ['release.rejected', 'draft'],
      ['release.rejected', 'approved'],
      ['release.rejected', 'live'],
      ['release.taken_down', 'draft'],
      ['release.taken_down', 'submitted'],
      ['release.taken_down', 'rejected'],
    ];

    it.each(skips)('cannot apply %s to a %s release: 409, nothing changed, and the webhook-id stays unused', async (type, status) => {
      const release = await releaseIn(t, c, status);
      const before = await snapshot(release.id);
      const callbacks = await t.prisma.partnerCallback.count({ where: { partnerId: partner.partnerId } });
      expectProblemJson(await callback(type, release.id), 409);
      expect(await snapshot(release.id)).toEqual(before);
      expect(await t.prisma.partnerCallback.count({ where: { partnerId: partner.partnerId } })).toBe(callbacks);
    });

    it('moves only along the lifecycle: approved → live → taken_down', async () => {
      const release = await releaseIn(t, c, 'approved');
      expect((await callback('release.live', release.id).expect(200)).body).toMatchObject({ status: 'live' });
      expect((await callback('release.taken_down', release.id).expect(200)).body).toMatchObject({ status: 'taken_down' });
      expectProblemJson(await callback('release.live', release.id), 409);
    });
  });
});
