// Tracks of a release over HTTP (API guide: Releases and their lifecycle): CRUD, identifiers, ISRC
// uniqueness per organization, track numbering, draft-only changes.
import { startTestApp, TestApp } from './helpers/test-app';
import {
  addTrack,
  Client,
  createRelease,
  expectProblem,
  freshIsrc,
  newClient,
  outboxFor,
  problemFields,
  releaseIn,
} from './releases.fixtures';

describe('tracks', () => {
  let t: TestApp;
  let c: Client;
  beforeAll(async () => {
    t = await startTestApp();
    c = await newClient(t);
  });
  afterAll(() => t.close());

  it('adds a track (201, Location), normalising ISRC and ISWC, and bumps the release version', async () => {
    const release = await createRelease(c);
    const res = await c
      .post(`/v1/releases/${release.id}/tracks`, {
        title: 'So What',
        isrc: 'us-rc1-76-07839',
        iswc: 'T0345246801',
        explicit: true,
        contributors: [
          { name: 'Miles Davis', role: 'artist' },
          { name: 'Bill Evans', role: 'featured' },
          { name: 'Miles Davis', role: 'composer' },
        ],
      })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^trk_[0-9A-Z]{26}$/),
      releaseId: release.id,
      trackNumber: 1,
      title: 'So What',
      isrc: 'USRC17607839',
      iswc: 'T-034.524.680-1',
      explicit: true,
      contributors: [
        { name: 'Miles Davis', role: 'artist' },
        { name: 'Bill Evans', role: 'featured' },
        { name: 'Miles Davis', role: 'composer' },
      ],
      audioUploadId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/v1/releases/${release.id}/tracks/${res.body.id}`);
    expect((await c.get(res.headers.location).expect(200)).body).toEqual(res.body);

    const after = await c.get(`/v1/releases/${release.id}`).expect(200);
    expect(after.body.version).toBe(2);
    expect(after.headers.etag).toBe('"v2"');
    expect(after.body.tracks).toEqual([res.body]);
  });

  it('defaults explicit to false and contributors to none', async () => {
    const release = await createRelease(c);
    const track = await addTrack(c, release.id);
    expect(track).toMatchObject({ explicit: false, contributors: [], isrc: null, iswc: null });
  });

  describe('track numbers', () => {
    it('assigns the next number after the highest when omitted', async () => {
      const release = await createRelease(c);
      expect((await addTrack(c, release.id)).trackNumber).toBe(1);
      expect((await addTrack(c, release.id, { trackNumber: 5 })).trackNumber).toBe(5);
      expect((await addTrack(c, release.id)).trackNumber).toBe(6);
      expect((await addTrack(c, release.id, { trackNumber: 2 })).trackNumber).toBe(2);
      expect((await addTrack(c, release.id)).trackNumber).toBe(7);
    });

    it('refuses a duplicate number with 409, on create and on update', async () => {
      const release = await createRelease(c);
      await addTrack(c, release.id, { trackNumber: 1 });
      const second = await addTrack(c, release.id, { trackNumber: 2 });
      expectProblem(await c.post(`/v1/releases/${release.id}/tracks`, { title: 'Dup', trackNumber: 1 }), 409);
      expectProblem(await c.patch(`/v1/releases/${release.id}/tracks/${second.id}`, { trackNumber: 1 }), 409);
      // Its own number is not a conflict.
      await c.patch(`/v1/releases/${release.id}/tracks/${second.id}`, { trackNumber: 2, title: 'Same place' }).expect(200);
      await c.patch(`/v1/releases/${release.id}/tracks/${second.id}`, { trackNumber: 3 }).expect(200);
      const numbers = (await c.get(`/v1/releases/${release.id}`)).body.tracks.map((tr: { trackNumber: number }) => tr.trackNumber);
      expect(numbers).toEqual([1, 3]);
    });

    it('gives concurrent additions distinct numbers', async () => {
      const release = await createRelease(c);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => c.post(`/v1/releases/${release.id}/tracks`, { title: `T${i}` })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(results.map((r) => r.body.trackNumber).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await c.get(`/v1/releases/${release.id}`)).body.version).toBe(7);
    });

    it('lets the same number be used on another release', async () => {
      const one = await createRelease(c);
      const two = await createRelease(c);
      await addTrack(c, one.id, { trackNumber: 1 });
      expect((await addTrack(c, two.id, { trackNumber: 1 })).trackNumber).toBe(1);
    });
  });

  describe('ISRC uniqueness', () => {
    it('refuses an ISRC already used in the organization with 409, in any spelling', async () => {
      const isrc = freshIsrc();
      const one = await createRelease(c);
      const two = await createRelease(c);
      const first = await addTrack(c, one.id, { isrc });
      const hyphenated = `${isrc.slice(0, 2)}-${isrc.slice(2, 5)}-${isrc.slice(5, 7)}-${isrc.slice(7)}`.toLowerCase();
      const events = (await outboxFor(t, c.orgId)).length;
      for (const releaseId of [one.id, two.id]) {
        const res = await c.post(`/v1/releases/${releaseId}/tracks`, { title: 'Dup', isrc: hyphenated });
        expect(expectProblem(res, 409).detail).toContain(first.id);
      }
      const other = await addTrack(c, two.id);
      expectProblem(await c.patch(`/v1/releases/${two.id}/tracks/${other.id}`, { isrc }), 409);
      // Re-sending a track's own ISRC is not a conflict.
      await c.patch(`/v1/releases/${one.id}/tracks/${first.id}`, { isrc }).expect(200);
      expect((await outboxFor(t, c.orgId)).length).toBe(events + 2);
    });

    it('allows the same ISRC in another organization', async () => {
      const isrc = freshIsrc();
      const other = await newClient(t);
      await addTrack(c, (await createRelease(c)).id, { isrc });
      expect((await addTrack(other, (await createRelease(other)).id, { isrc })).isrc).toBe(isrc);
    });

    it('frees the ISRC when its track is deleted or its ISRC cleared', async () => {
      const isrc = freshIsrc();
      const release = await createRelease(c);
      const track = await addTrack(c, release.id, { isrc });
      await c.patch(`/v1/releases/${release.id}/tracks/${track.id}`, { isrc: null }).expect(200);
      const again = await addTrack(c, release.id, { isrc });
      await c.delete(`/v1/releases/${release.id}/tracks/${again.id}`).expect(204);
      await addTrack(c, release.id, { isrc });
    });

    it('lets exactly one of two concurrent tracks on different releases take an ISRC', async () => {
      const isrc = freshIsrc();
      const releases = await Promise.all([createRelease(c), createRelease(c), createRelease(c)]);
      const results = await Promise.all(releases.map((r) => c.post(`/v1/releases/${r.id}/tracks`, { title: 'Race', isrc })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      for (const loser of results.filter((r) => r.status === 409)) expect(expectProblem(loser, 409).detail).toMatch(/ISRC/);
      expect(await t.prisma.track.count({ where: { orgId: c.orgId, isrc } })).toBe(1);
      const created = (await outboxFor(t, c.orgId)).filter((e) => e.type === 'track.created' && e.data.track.isrc === isrc);
      expect(created).toHaveLength(1);
    });
  });

  describe('update and delete', () => {
    it('changes fields partially, replaces contributors when given, and bumps the release version', async () => {
      const release = await createRelease(c);
      const track = await addTrack(c, release.id, { iswc: 'T-034.524.680-1', contributors: [{ name: 'A', role: 'artist' }] });
      const res = await c.patch(`/v1/releases/${release.id}/tracks/${track.id}`, { title: 'Blue in Green', iswc: null }).expect(200);
      expect(res.body).toMatchObject({ title: 'Blue in Green', iswc: null, contributors: [{ name: 'A', role: 'artist' }], trackNumber: 1 });
      const replaced = await c
        .patch(`/v1/releases/${release.id}/tracks/${track.id}`, { contributors: [{ name: 'B', role: 'producer' }, { name: 'C', role: 'remixer' }] })
        .expect(200);
      expect(replaced.body.contributors).toEqual([
        { name: 'B', role: 'producer' },
        { name: 'C', role: 'remixer' },
      ]);
      expect(Date.parse(replaced.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.updatedAt));
      await c.patch(`/v1/releases/${release.id}/tracks/${track.id}`, { contributors: [] }).expect(200);
      expect((await c.get(`/v1/releases/${release.id}`)).body).toMatchObject({ version: 5, tracks: [{ contributors: [] }] });
    });

    it('deletes a track (204); the others keep their numbers', async () => {
      const release = await createRelease(c);
      const one = await addTrack(c, release.id);
      await addTrack(c, release.id);
      await c.delete(`/v1/releases/${release.id}/tracks/${one.id}`).expect(204);
      expectProblem(await c.get(`/v1/releases/${release.id}/tracks/${one.id}`), 404);
      expectProblem(await c.delete(`/v1/releases/${release.id}/tracks/${one.id}`), 404);
      expect((await c.get(`/v1/releases/${release.id}`)).body.tracks.map((tr: { trackNumber: number }) => tr.trackNumber)).toEqual([2]);
      expect(await t.prisma.trackContributor.count({ where: { trackId: one.id } })).toBe(0);
    });

    it('answers 404 for an unknown release or track', async () => {
      const release = await createRelease(c);
      expectProblem(await c.post('/v1/releases/rel_01JAAAAAAAAAAAAAAAAAAAAAAA/tracks', { title: 'X' }), 404);
      expectProblem(await c.patch(`/v1/releases/${release.id}/tracks/trk_01JAAAAAAAAAAAAAAAAAAAAAAA`, { title: 'X' }), 404);
      expectProblem(await c.delete(`/v1/releases/${release.id}/tracks/nope`), 404);
    });
  });

  describe('validation', () => {
    it('names every invalid field, nested ones with their path', async () => {
      const release = await createRelease(c);
      const fields = problemFields(
        await c.post(`/v1/releases/${release.id}/tracks`, {
          title: '',
          isrc: 'USRC1-76-07839',
          iswc: 'T-034.524.680-2',
          trackNumber: 0,
          explicit: 'no',
          contributors: [{ name: 'A', role: 'drummer' }, { name: '', role: 'artist', extra: 1 }],
        }),
        400,
      );
      expect(new Set(fields)).toEqual(
        new Set(['title', 'isrc', 'iswc', 'trackNumber', 'explicit', 'contributors.0.role', 'contributors.1.name', 'contributors.1.extra']),
      );
      expect((await c.get(`/v1/releases/${release.id}`)).body).toMatchObject({ version: 1, tracks: [] });
    });

    it.each([
      ['a fractional track number', { trackNumber: 1.5 }, 'trackNumber'],
      ['track number 1000', { trackNumber: 1000 }, 'trackNumber'],
      ['a numeric string for a track number', { trackNumber: '2' }, 'trackNumber'],
      ['too many contributors', { contributors: Array.from({ length: 51 }, () => ({ name: 'A', role: 'artist' })) }, 'contributors'],
      ['contributors that are not objects', { contributors: ['A'] }, 'contributors.0'],
      ['an oversized title', { title: 'x'.repeat(501) }, 'title'],
      ['an unknown property', { audioUploadId: 'upl_x' }, 'audioUploadId'],
      ['an unknown property (releaseId)', { releaseId: 'rel_x' }, 'releaseId'],
    ])('rejects %s', async (_label, body, field) => {
      const release = await createRelease(c);
      expect(problemFields(await c.post(`/v1/releases/${release.id}/tracks`, { title: 'T', ...body }), 400)).toContain(field);
    });

    it('refuses null for a track’s required fields on PATCH', async () => {
      const release = await createRelease(c);
      const track = await addTrack(c, release.id);
      for (const field of ['title', 'trackNumber', 'explicit', 'contributors']) {
        expect(problemFields(await c.patch(`/v1/releases/${release.id}/tracks/${track.id}`, { [field]: null }), 400)).toContain(field);
      }
    });
  });

  describe('draft only', () => {
    it.each(['submitted', 'approved', 'rejected', 'live', 'taken_down'])('refuses track changes on a %s release with 409', async (status) => {
      const release = await releaseIn(t, c, status);
      const track = release.tracks[0];
      const base = `/v1/releases/${release.id}/tracks`;
      const events = (await outboxFor(t, c.orgId)).length;
      expectProblem(await c.post(base, { title: 'Late' }), 409);
      expectProblem(await c.patch(`${base}/${track.id}`, { title: 'Late' }), 409);
      expectProblem(await c.delete(`${base}/${track.id}`), 409);
      await c.get(`${base}/${track.id}`).expect(200);
      const now = (await c.get(`/v1/releases/${release.id}`)).body;
      expect(now).toMatchObject({ version: release.version, tracks: [{ id: track.id, title: track.title }] });
      expect((await outboxFor(t, c.orgId)).length).toBe(events);
    });
  });
});
