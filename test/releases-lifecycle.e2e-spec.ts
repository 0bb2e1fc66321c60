// The release lifecycle over HTTP (API guide: Releases and their lifecycle): submit with its completeness
// check, every legal and illegal transition, and their outbox events.
import { startTestApp, TestApp } from './helpers/test-app';
import {
  addTrack,
  attachAudioDirectly,
  Client,
  completeDraft,
  createRelease,
  expectProblem,
  freshIsrc,
  newClient,
  outboxFor,
  problemFields,
  releaseIn,
  freshUpc,
} from './releases.fixtures';

const STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'live', 'taken_down'] as const;
type Status = (typeof STATUSES)[number];

// API guide: Releases and their lifecycle, spelled out independently of release-lifecycle.ts.
const LEGAL: Array<[Status, Status]> = [
  ['draft', 'submitted'],
  ['submitted', 'approved'],
  ['submitted', 'rejected'],
  ['approved', 'live'],
  ['approved', 'taken_down'],
  ['live', 'taken_down'],
  ['rejected', 'draft'],
];

describe('release lifecycle', () => {
  let t: TestApp;
  let c: Client;
  beforeAll(async () => {
    t = await startTestApp();
    c = await newClient(t);
  });
  afterAll(() => t.close());

  function transition(id: string, to: Status, reason?: string) {
    return to === 'submitted' ? c.post(`/v1/releases/${id}/submit`) : c.post(`/v1/releases/${id}/status`, reason === undefined ? { status: to } : { status: to, reason });
  }

  describe('submit', () => {
    it('answers 422 listing every missing item of an empty draft, and changes nothing', async () => {
      const release = await createRelease(c);
      const res = await c.post(`/v1/releases/${release.id}/submit`);
      const problem = expectProblem(res, 422);
      expect(problem.type).toMatch(/#release-incomplete$/);
      expect(problem.errors).toEqual([
        { field: 'upc', message: expect.any(String) },
        { field: 'releaseDate', message: expect.any(String) },
        { field: 'tracks', message: expect.any(String) },
      ]);
      const now = await c.get(`/v1/releases/${release.id}`);
      expect(now.body).toMatchObject({ status: 'draft', version: 1 });
      expect((await outboxFor(t, c.orgId)).filter((e) => e.data.release?.id === release.id).map((e) => e.type)).toEqual(['release.created']);
    });

    it('lists each track’s missing ISRC and audio, indexed in track order', async () => {
      const release = await createRelease(c, { releaseDate: '2026-01-01' });
      await addTrack(c, release.id, { trackNumber: 3 });
      await addTrack(c, release.id, { trackNumber: 1 });
      await addTrack(c, release.id, { trackNumber: 2, isrc: freshIsrc() });
      const problem = expectProblem(await c.post(`/v1/releases/${release.id}/submit`), 422);
      expect(problem.errors.map((e: { field: string }) => e.field)).toEqual([
        'upc',
        'tracks.0.isrc',
        'tracks.0.audio',
        'tracks.1.audio',
        'tracks.2.isrc',
        'tracks.2.audio',
      ]);
      expect(problem.errors[1].message).toMatch(/^track 1 \(trk_/);
      expect(problem.errors[5].message).toMatch(/^track 3 .*audio/);
    });

    it('reports missing audio even when everything else is there (audio attaches once uploads exist)', async () => {
      const release = await createRelease(c, { upc: freshUpc(), releaseDate: '2026-01-01' });
      await addTrack(c, release.id, { isrc: freshIsrc() });
      expect(problemFields(await c.post(`/v1/releases/${release.id}/submit`), 422)).toEqual(['tracks.0.audio']);
    });

    it('submits a complete draft: 200, new version and ETag, one status_changed event', async () => {
      const release = await completeDraft(t, c);
      const before = await c.get(`/v1/releases/${release.id}`);
      const res = await c.post(`/v1/releases/${release.id}/submit`).expect(200);
      expect(res.body).toMatchObject({ id: release.id, status: 'submitted', statusReason: null, version: before.body.version + 1 });
      expect(res.body.tracks).toHaveLength(1);
      expect(res.headers.etag).toBe(`"v${before.body.version + 1}"`);
      const events = (await outboxFor(t, c.orgId)).filter((e) => e.data.release?.id === release.id);
      expect(events.at(-1)).toEqual({
        type: 'release.status_changed',
        data: { release: res.body, previousStatus: 'draft', status: 'submitted', reason: null },
      });
    });

    it('honours If-Match', async () => {
      const release = await completeDraft(t, c);
      const { version } = (await c.get(`/v1/releases/${release.id}`)).body;
      expectProblem(await c.post(`/v1/releases/${release.id}/submit`).set('If-Match', `"v${version - 1}"`), 412);
      await c.post(`/v1/releases/${release.id}/submit`).set('If-Match', `"v${version}"`).expect(200);
    });
  });

  describe('transitions', () => {
    it.each(LEGAL)('allows %s → %s', async (from, to) => {
      const release = await releaseIn(t, c, from);
      const reason = to === 'submitted' ? undefined : `moving to ${to}`;
      const res = await transition(release.id, to, reason).expect(200);
      expect(res.body).toMatchObject({ id: release.id, status: to, statusReason: reason ?? null, version: release.version + 1 });
      expect(res.headers.etag).toBe(`"v${release.version + 1}"`);
      expect((await c.get(`/v1/releases/${release.id}`)).body.status).toBe(to);
      const events = (await outboxFor(t, c.orgId)).filter((e) => e.type === 'release.status_changed' && e.data.release.id === release.id);
      expect(events.at(-1)!.data).toMatchObject({ previousStatus: from, status: to, reason: reason ?? null });
    });

    it.each(STATUSES)('refuses every illegal move from %s with 409, changing nothing', async (from) => {
      const release = await releaseIn(t, c, from);
      const eventsBefore = (await outboxFor(t, c.orgId)).length;
      const illegal = STATUSES.filter((to) => !LEGAL.some(([f, tt]) => f === from && tt === to));
      for (const to of illegal) {
        const viaStatus = await c.post(`/v1/releases/${release.id}/status`, { status: to });
        expect({ to, status: viaStatus.status }).toEqual({ to, status: 409 });
        expectProblem(viaStatus, 409);
      }
      // `submitted` is reached only through /submit, even from a draft.
      if (from === 'draft') expect(expectProblem(await c.post(`/v1/releases/${release.id}/status`, { status: 'submitted' }), 409).detail).toMatch(/submit/);
      if (from !== 'draft') expectProblem(await c.post(`/v1/releases/${release.id}/submit`), 409);
      const now = (await c.get(`/v1/releases/${release.id}`)).body;
      expect(now).toMatchObject({ status: from, version: release.version });
      expect((await outboxFor(t, c.orgId)).length).toBe(eventsBefore);
    });

    it('walks the whole path draft → submitted → rejected → draft → submitted → approved → live → taken_down', async () => {
      const release = await completeDraft(t, c);
      const path: Array<[Status, string?]> = [
        ['submitted'],
        ['rejected', 'Artwork is blurry'],
        ['draft'],
        ['submitted'],
        ['approved'],
        ['live'],
        ['taken_down', 'Rights dispute'],
      ];
      let last: Record<string, any> = {};
      for (const [to, reason] of path) last = (await transition(release.id, to, reason).expect(200)).body;
      expect(last).toMatchObject({ status: 'taken_down', statusReason: 'Rights dispute' });
      const types = (await outboxFor(t, c.orgId)).filter((e) => e.data.release?.id === release.id && e.type === 'release.status_changed');
      expect(types.map((e) => e.data.status)).toEqual(path.map(([to]) => to));
    });

    it('answers DELETE of a non-draft with the step its status allows: taking down only for approved and live', async () => {
      const advice: Record<Exclude<Status, 'draft'>, RegExp> = {
        submitted: /awaits review/,
        rejected: /back to draft first/,
        approved: /take it down/,
        live: /take it down/,
        taken_down: /Taken down is final/,
      };
      for (const [status, expected] of Object.entries(advice) as Array<[Exclude<Status, 'draft'>, RegExp]>) {
        const release = await releaseIn(t, c, status);
        const detail = expectProblem(await c.delete(`/v1/releases/${release.id}`), 409).detail as string;
        expect(detail).toMatch(expected);
        if (status !== 'approved' && status !== 'live') expect(detail).not.toMatch(/take it down|taken_down"\)/);
      }
    });

    it('lets a rejected release be edited again once back in draft', async () => {
      const release = await releaseIn(t, c, 'rejected');
      expectProblem(await c.patch(`/v1/releases/${release.id}`, { title: 'Fixed' }), 409);
      await transition(release.id, 'draft').expect(200);
      await c.patch(`/v1/releases/${release.id}`, { title: 'Fixed' }).expect(200);
      await attachAudioDirectly(t, release.id);
      await transition(release.id, 'submitted').expect(200);
    });

    it('lets exactly one of two concurrent identical transitions through', async () => {
      const release = await releaseIn(t, c, 'submitted');
      const results = await Promise.all([transition(release.id, 'approved'), transition(release.id, 'approved')]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const changes = (await outboxFor(t, c.orgId)).filter((e) => e.data.release?.id === release.id && e.data.status === 'approved');
      expect(changes).toHaveLength(1);
    });

    it('honours If-Match on /status', async () => {
      const release = await releaseIn(t, c, 'submitted');
      expectProblem(await c.post(`/v1/releases/${release.id}/status`, { status: 'approved' }).set('If-Match', '"v1"'), 412);
      await c.post(`/v1/releases/${release.id}/status`, { status: 'approved' }).set('If-Match', `"v${release.version}"`).expect(200);
    });

    it('validates the body of /status', async () => {
      const release = await releaseIn(t, c, 'submitted');
      const base = `/v1/releases/${release.id}/status`;
      expect(problemFields(await c.post(base, {}), 400)).toEqual(['status']);
      expect(problemFields(await c.post(base, { status: 'published' }), 400)).toEqual(['status']);
      expect(problemFields(await c.post(base, { status: 'approved', reason: 'x'.repeat(1001) }), 400)).toContain('reason');
      expect(problemFields(await c.post(base, { status: 'approved', version: 1 }), 400)).toEqual(['version']);
      expect((await c.get(`/v1/releases/${release.id}`)).body).toMatchObject({ status: 'submitted', version: release.version });
    });

    it('answers 404 for an unknown release', async () => {
      expectProblem(await transition('rel_01JAAAAAAAAAAAAAAAAAAAAAAA', 'approved'), 404);
      expectProblem(await transition('rel_01JAAAAAAAAAAAAAAAAAAAAAAA', 'submitted'), 404);
    });
  });
});
