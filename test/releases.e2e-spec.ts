// Releases over HTTP (API guide: Releases and their lifecycle): create and read, validation, pagination,
// PATCH with ETag/If-Match (and its races), delete, draft-only edits.
import type { Response } from 'supertest';
import { startTestApp, TestApp } from './helpers/test-app';
import {
  addTrack,
  Client,
  createRelease,
  EAN,
  expectProblem,
  fieldsOf,
  freshUpc,
  newClient,
  outboxFor,
  problemFields,
  releaseIn,
  UPC,
} from './releases.fixtures';

describe('releases', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('create and read', () => {
    let c: Client;
    beforeAll(async () => {
      c = await newClient(t);
    });

    it('creates a draft with every field, answering 201 with Location and ETag', async () => {
      const body = {
        title: 'Kind of Blue',
        artists: ['Miles Davis', 'John Coltrane'],
        label: 'Columbia',
        upc: UPC,
        releaseDate: '2026-03-20',
        originalReleaseDate: '1959-08-17',
        genre: 'Jazz',
        language: 'en-us',
        explicit: true,
        copyrightLine: '© 1959 Columbia Records',
        phonographicLine: '℗ 1959 Columbia Records',
        territories: ['US', 'GB'],
      };
      const res = await c.post('/v1/releases', body).expect(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        ...body,
        language: 'en-US',
        id: expect.stringMatching(/^rel_[0-9A-Z]{26}$/),
        status: 'draft',
        statusReason: null,
        version: 1,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        updatedAt: expect.any(String),
        tracks: [],
      });
      expect(res.headers.location).toBe(`/v1/releases/${res.body.id}`);
      expect(res.headers.etag).toBe('"v1"');

      const read = await c.get(res.headers.location).expect(200);
      expect(read.body).toEqual(res.body);
      expect(read.headers.etag).toBe('"v1"');
    });

    it('fills defaults for a minimal release', async () => {
      const res = await c.post('/v1/releases', { title: 'Minimal', artists: ['A'] }).expect(201);
      expect(res.body).toMatchObject({
        label: null,
        upc: null,
        releaseDate: null,
        originalReleaseDate: null,
        genre: null,
        language: null,
        explicit: false,
        copyrightLine: null,
        phonographicLine: null,
        territories: ['WW'],
      });
    });

    it('accepts an EAN-13 and optional fields given as null', async () => {
      const res = await c.post('/v1/releases', { title: 'EAN', artists: ['A'], upc: EAN, label: null, releaseDate: null }).expect(201);
      expect(res.body).toMatchObject({ upc: EAN, label: null, releaseDate: null });
    });

    it('returns tracks ordered by trackNumber, whatever the insertion order', async () => {
      const release = await createRelease(c);
      await addTrack(c, release.id, { title: 'Three', trackNumber: 3 });
      await addTrack(c, release.id, { title: 'One', trackNumber: 1 });
      await addTrack(c, release.id, { title: 'Two', trackNumber: 2 });
      const res = await c.get(`/v1/releases/${release.id}`).expect(200);
      expect(res.body.tracks.map((tr: { title: string; trackNumber: number }) => [tr.trackNumber, tr.title])).toEqual([
        [1, 'One'],
        [2, 'Two'],
        [3, 'Three'],
      ]);
      expect(res.body.version).toBe(4);
      expect(res.headers.etag).toBe('"v4"');
    });

    // The read loads tracks and credits as JSON (relationJoins): a null there,
    // or in a column, must still be sent as null, never left out.
    it('sends every nullable field of a release and its tracks as null on a read', async () => {
      const release = await createRelease(c, { title: 'Sparse', artists: ['A'] });
      await addTrack(c, release.id, { title: 'Bare' });
      const read = (await c.get(`/v1/releases/${release.id}`).expect(200)).body;
      for (const field of ['statusReason', 'label', 'upc', 'releaseDate', 'originalReleaseDate', 'genre', 'language', 'copyrightLine', 'phonographicLine']) {
        expect(read).toHaveProperty(field, null);
      }
      for (const field of ['isrc', 'iswc', 'audioUploadId']) expect(read.tracks[0]).toHaveProperty(field, null);
      expect(read.tracks[0].contributors).toEqual([]);
    });

    it('answers 404 problem+json for an unknown or malformed id', async () => {
      expectProblem(await c.get('/v1/releases/rel_01JAAAAAAAAAAAAAAAAAAAAAAA'), 404);
      expectProblem(await c.get('/v1/releases/not-an-id'), 404);
      expectProblem(await c.get(`/v1/releases/${'x'.repeat(5000)}`), 404);
    });
  });

  describe('validation', () => {
    let c: Client;
    beforeAll(async () => {
      c = await newClient(t);
    });

    async function rejected(body: object, status = 400): Promise<string[]> {
      const before = await t.prisma.release.count({ where: { orgId: c.orgId } });
      const res = await c.post('/v1/releases', body);
      const problem = expectProblem(res, status);
      expect(await t.prisma.release.count({ where: { orgId: c.orgId } })).toBe(before);
      for (const error of problem.errors ?? []) expect(error).toEqual({ field: expect.any(String), message: expect.any(String) });
      return fieldsOf(res);
    }

    it('names every invalid field at once', async () => {
      const fields = await rejected({
        title: '',
        artists: [],
        upc: '036000291453',
        releaseDate: '2023-02-30',
        originalReleaseDate: '2024-01-01T00:00:00Z',
        language: 'en_US',
        explicit: 'yes',
        territories: ['US', 'USA', 'UK'],
        genre: 'x'.repeat(101),
      });
      expect(new Set(fields)).toEqual(
        new Set(['title', 'artists', 'upc', 'releaseDate', 'originalReleaseDate', 'language', 'explicit', 'territories', 'genre']),
      );
    });

    it('requires title and artists', async () => {
      expect(new Set(await rejected({}))).toEqual(new Set(['title', 'artists']));
    });

    it.each([
      ['a UPC with a wrong check digit', { upc: '036000291450' }, 'upc'],
      ['a UPC with hyphens', { upc: '0-36000-29145-2' }, 'upc'],
      ['an impossible date', { releaseDate: '2023-02-29' }, 'releaseDate'],
      ['a date-time for a date', { releaseDate: '2024-01-01T00:00:00Z' }, 'releaseDate'],
      ['a lowercase territory', { territories: ['us'] }, 'territories'],
      ['duplicate territories', { territories: ['US', 'US'] }, 'territories'],
      ['no territories', { territories: [] }, 'territories'],
      ['too many artists', { artists: Array.from({ length: 51 }, (_, i) => `A${i}`) }, 'artists'],
      ['an oversized artist name', { artists: ['x'.repeat(201)] }, 'artists'],
      ['a blank title', { title: '   ' }, 'title'],
      ['a NUL in the title', { title: 'a\u0000b' }, 'title'],
      ['an oversized title', { title: 'x'.repeat(501) }, 'title'],
      ['a number for a title', { title: 42 }, 'title'],
      ['null for explicit', { explicit: null }, 'explicit'],
      ['null for territories', { territories: null }, 'territories'],
      ['a language name instead of a tag', { language: 'english' }, 'language'],
      ['a language subtag the IANA registry lacks', { language: 'zz-Qaaa' }, 'language'],
    ])('rejects %s with a field error', async (_label, patch, field) => {
      const fields = await rejected({ title: 'T', artists: ['A'], ...patch });
      expect(fields).toContain(field);
    });

    it('refuses unknown properties (no mass assignment) with 400', async () => {
      for (const extra of [{ status: 'live' }, { version: 9 }, { orgId: 'org_x' }, { id: 'rel_x' }]) {
        const fields = await rejected({ title: 'T', artists: ['A'], ...extra });
        expect(fields).toEqual([Object.keys(extra)[0]]);
      }
    });

    it('answers 422 when the original release date is after the release date', async () => {
      expect(await rejected({ title: 'T', artists: ['A'], releaseDate: '2020-01-01', originalReleaseDate: '2021-01-01' }, 422)).toEqual([
        'originalReleaseDate',
      ]);
    });

    it('answers 400 for malformed JSON and 415 for another media type', async () => {
      const malformed = await t.http.post('/v1/releases').set('X-API-Key', c.key).set('Content-Type', 'application/json').send('{"title":');
      expectProblem(malformed, 400);
      const text = await t.http.post('/v1/releases').set('X-API-Key', c.key).set('Content-Type', 'text/plain').send('title=x');
      expectProblem(text, 415);
    });

    it('writes no outbox event for any rejected request', async () => {
      expect(await outboxFor(t, c.orgId)).toEqual([]);
    });
  });

  describe('one UPC/EAN, one release', () => {
    it('refuses (409) a second release of the organization with the same code, in either spelling, on create and on update', async () => {
      const c = await newClient(t);
      const upc = freshUpc();
      const first = await c.post('/v1/releases', { title: 'First', artists: ['A'], upc }).expect(201);

      const again = await c.post('/v1/releases', { title: 'Second', artists: ['A'], upc });
      expect(expectProblem(again, 409).detail).toBe(`UPC/EAN ${upc} is already used by release ${first.body.id}; a UPC/EAN identifies one product.`);
      // The EAN-13 spelling of the same UPC-A (a leading 0) is the same product.
      expectProblem(await c.post('/v1/releases', { title: 'Second', artists: ['A'], upc: `0${upc}` }), 409);
      expect(await t.prisma.release.count({ where: { orgId: c.orgId } })).toBe(1);

      const other = await c.post('/v1/releases', { title: 'Other', artists: ['A'] }).expect(201);
      expectProblem(await c.patch(`/v1/releases/${other.body.id}`, { upc }), 409);
      expect((await t.prisma.release.findUniqueOrThrow({ where: { id: other.body.id } })).upc).toBeNull();
      // Re-sending a release's own code is no conflict; another organization may use it too.
      await c.patch(`/v1/releases/${first.body.id}`, { upc }).expect(200);
      await (await newClient(t)).post('/v1/releases', { title: 'Elsewhere', artists: ['A'], upc }).expect(201);
    });

    it('lets exactly one of two concurrent creates with one code through', async () => {
      const c = await newClient(t);
      const upc = freshUpc();
      const statuses = await Promise.all([1, 2].map((n) => c.post('/v1/releases', { title: `Race ${n}`, artists: ['A'], upc }).then((res) => res.status)));
      expect(statuses.sort()).toEqual([201, 409]);
      expect(await t.prisma.release.count({ where: { orgId: c.orgId, upc } })).toBe(1);
    });
  });

  describe('list', () => {
    it('walks every page without duplicates or skips while releases are inserted', async () => {
      const c = await newClient(t);
      const initial: string[] = [];
      for (let i = 0; i < 7; i++) initial.push((await createRelease(c, { title: `R${i}` })).id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Response = await c.get(`/v1/releases?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((r: { id: string }) => r.id));
        cursor = res.body.nextCursor;
        pages++;
        // Inserts between pages land before the cursor, never in the rest of the walk.
        await createRelease(c, { title: `inserted ${pages}` });
      } while (cursor);

      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...initial].reverse());
      expect(pages).toBe(3);
    });

    it('lists newest first with summaries (trackCount, no tracks) and a null nextCursor at the end', async () => {
      const c = await newClient(t);
      const first = await createRelease(c, { title: 'First' });
      const second = await createRelease(c, { title: 'Second' });
      await addTrack(c, first.id);
      const res = await c.get('/v1/releases').expect(200);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
      expect(res.body.data[1]).toMatchObject({ title: 'First', trackCount: 1, version: 2 });
      expect(res.body.data[1]).not.toHaveProperty('tracks');
    });

    it('filters by status', async () => {
      const c = await newClient(t);
      const draft = await createRelease(c);
      const submitted = await releaseIn(t, c, 'submitted');
      const live = await releaseIn(t, c, 'live');
      const ids = async (query: string) => (await c.get(`/v1/releases${query}`).expect(200)).body.data.map((r: { id: string }) => r.id);
      expect(await ids('?status=draft')).toEqual([draft.id]);
      expect(await ids('?status=submitted')).toEqual([submitted.id]);
      expect(await ids('?status=live')).toEqual([live.id]);
      expect(await ids('?status=rejected')).toEqual([]);
      expect(await ids('')).toEqual([live.id, submitted.id, draft.id]);
    });

    it('validates limit, cursor and status', async () => {
      const c = await newClient(t);
      expect(problemFields(await c.get('/v1/releases?limit=0'), 400)).toContain('limit');
      expect(problemFields(await c.get('/v1/releases?limit=101'), 400)).toContain('limit');
      expect(problemFields(await c.get('/v1/releases?limit=abc'), 400)).toContain('limit');
      expect(problemFields(await c.get('/v1/releases?cursor=garbage'), 400)).toEqual(['cursor']);
      expect(problemFields(await c.get('/v1/releases?status=published'), 400)).toEqual(['status']);
      expect(problemFields(await c.get('/v1/releases?orgId=org_x'), 400)).toEqual(['orgId']);
    });

    it('never shows another organization’s releases', async () => {
      const a = await newClient(t);
      const b = await newClient(t);
      await createRelease(a);
      expect((await b.get('/v1/releases').expect(200)).body).toEqual({ data: [], nextCursor: null });
    });
  });

  describe('update', () => {
    let c: Client;
    beforeAll(async () => {
      c = await newClient(t);
    });

    it('applies a partial change, bumps version and ETag, and keeps the rest', async () => {
      const release = await createRelease(c, { label: 'Columbia', genre: 'Jazz' });
      const res = await c.patch(`/v1/releases/${release.id}`, { title: 'Kind of Blue (Legacy)', label: null, upc: UPC }).expect(200);
      expect(res.body).toMatchObject({ title: 'Kind of Blue (Legacy)', label: null, upc: UPC, genre: 'Jazz', version: 2 });
      expect(res.headers.etag).toBe('"v2"');
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(release.updatedAt));
      expect((await c.get(`/v1/releases/${release.id}`)).body).toEqual(res.body);
    });

    it('treats an empty body as no change: same version, no event', async () => {
      const release = await createRelease(c);
      const before = (await outboxFor(t, c.orgId)).length;
      const res = await c.patch(`/v1/releases/${release.id}`, {}).expect(200);
      expect(res.body.version).toBe(1);
      expect(await outboxFor(t, c.orgId)).toHaveLength(before);
    });

    it('refuses null for required fields and unknown properties', async () => {
      const release = await createRelease(c);
      expect(new Set(problemFields(await c.patch(`/v1/releases/${release.id}`, { title: null }), 400))).toEqual(new Set(['title']));
      expect(problemFields(await c.patch(`/v1/releases/${release.id}`, { artists: null }), 400)).toContain('artists');
      expect(problemFields(await c.patch(`/v1/releases/${release.id}`, { status: 'live' }), 400)).toEqual(['status']);
      expect(problemFields(await c.patch(`/v1/releases/${release.id}`, { tracks: [] }), 400)).toEqual(['tracks']);
      expect((await c.get(`/v1/releases/${release.id}`)).body.version).toBe(1);
    });

    it('checks date order against the stored dates (422)', async () => {
      const release = await createRelease(c, { releaseDate: '2020-01-01' });
      expect(problemFields(await c.patch(`/v1/releases/${release.id}`, { originalReleaseDate: '2020-01-02' }), 422)).toEqual([
        'originalReleaseDate',
      ]);
    });

    it('honours If-Match: current ETag passes, a stale one is 412 and changes nothing', async () => {
      const release = await createRelease(c);
      const ok = await c.patch(`/v1/releases/${release.id}`, { genre: 'Jazz' }).set('If-Match', '"v1"').expect(200);
      expect(ok.headers.etag).toBe('"v2"');

      const stale = await c.patch(`/v1/releases/${release.id}`, { genre: 'Rock' }).set('If-Match', '"v1"');
      expectProblem(stale, 412);
      expect(stale.headers.etag).toBeUndefined();
      const now = await c.get(`/v1/releases/${release.id}`);
      expect(now.body).toMatchObject({ genre: 'Jazz', version: 2 });

      await c.patch(`/v1/releases/${release.id}`, { genre: 'Blues' }).set('If-Match', '"v1", "v2"').expect(200);
      await c.patch(`/v1/releases/${release.id}`, { genre: 'Soul' }).set('If-Match', '*').expect(200);
      // If-Match uses the strong comparison: a weak tag never matches.
      expectProblem(await c.patch(`/v1/releases/${release.id}`, { genre: 'Funk' }).set('If-Match', 'W/"v4"'), 412);
      expectProblem(await c.patch(`/v1/releases/${release.id}`, { genre: 'Funk' }).set('If-Match', 'v4'), 400);
    });

    it('lets exactly one of two concurrent PATCHes with the same If-Match win', async () => {
      const release = await createRelease(c);
      const before = (await outboxFor(t, c.orgId)).length;
      const results = await Promise.all(
        ['A', 'B', 'C'].map((genre) => c.patch(`/v1/releases/${release.id}`, { genre }).set('If-Match', '"v1"')),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412, 412]);
      const winner = results.find((r) => r.status === 200)!;
      const now = await c.get(`/v1/releases/${release.id}`);
      expect(now.body).toMatchObject({ version: 2, genre: winner.body.genre });
      expect((await outboxFor(t, c.orgId)).slice(before).map((e) => e.type)).toEqual(['release.updated']);
    });

    it('serialises concurrent PATCHes without If-Match: every one applies, versions do not collide', async () => {
      const release = await createRelease(c);
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => c.patch(`/v1/releases/${release.id}`, { genre: `G${i}` })));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
      expect((await c.get(`/v1/releases/${release.id}`)).body.version).toBe(6);
    });
  });

  describe('delete', () => {
    it('deletes a draft and its tracks (204), then 404', async () => {
      const c = await newClient(t);
      const release = await createRelease(c);
      await addTrack(c, release.id);
      const res = await c.delete(`/v1/releases/${release.id}`).expect(204);
      expect(res.text).toBe('');
      expectProblem(await c.get(`/v1/releases/${release.id}`), 404);
      expect(await t.prisma.track.count({ where: { releaseId: release.id } })).toBe(0);
      expectProblem(await c.delete(`/v1/releases/${release.id}`), 404);
    });

    it('honours If-Match on delete', async () => {
      const c = await newClient(t);
      const release = await createRelease(c);
      expectProblem(await c.delete(`/v1/releases/${release.id}`).set('If-Match', '"v7"'), 412);
      await c.delete(`/v1/releases/${release.id}`).set('If-Match', '"v1"').expect(204);
    });
  });

  describe('draft-only changes', () => {
    it.each(['submitted', 'approved', 'rejected', 'live', 'taken_down'])('refuses PATCH and DELETE of a %s release with 409', async (status) => {
      const c = await newClient(t);
      const release = await releaseIn(t, c, status);
      const eventsBefore = (await outboxFor(t, c.orgId)).length;
      expectProblem(await c.patch(`/v1/releases/${release.id}`, { title: 'Changed' }), 409);
      expectProblem(await c.delete(`/v1/releases/${release.id}`), 409);
      const now = await c.get(`/v1/releases/${release.id}`).expect(200);
      expect(now.body).toMatchObject({ title: release.title, status, version: release.version });
      expect(await outboxFor(t, c.orgId)).toHaveLength(eventsBefore);
    });
  });
});
