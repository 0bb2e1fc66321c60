// Who may do what to a release (API guide: Conventions, Authentication, Releases and their lifecycle, Webhooks): one outbox event per
// change, 404 across organizations on every route, 403 without the scope,
// and each route's scope declared in OpenAPI.
import { startTestApp, TestApp } from './helpers/test-app';
import { addTrack, clientFor, createRelease, expectProblem, newClient, outboxFor } from './releases.fixtures';

describe('releases: events, tenancy and scopes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('outbox', () => {
    it('records exactly one event per change, in the same order, with the resource', async () => {
      const c = await newClient(t);
      const release = await createRelease(c);
      await c.patch(`/v1/releases/${release.id}`, { genre: 'Jazz' }).expect(200);
      const track = await addTrack(c, release.id);
      await c.patch(`/v1/releases/${release.id}/tracks/${track.id}`, { title: 'Freddie Freeloader' }).expect(200);
      await c.delete(`/v1/releases/${release.id}/tracks/${track.id}`).expect(204);
      await c.delete(`/v1/releases/${release.id}`).expect(204);

      const events = await outboxFor(t, c.orgId);
      expect(events.map((e) => e.type)).toEqual([
        'release.created',
        'release.updated',
        'track.created',
        'track.updated',
        'track.deleted',
        'release.deleted',
      ]);
      expect(events[0].data.release).toMatchObject({ id: release.id, status: 'draft', version: 1 });
      expect(events[1].data.release).toMatchObject({ id: release.id, genre: 'Jazz', version: 2 });
      expect(events[2].data).toMatchObject({ releaseId: release.id, track: { id: track.id, title: 'So What' } });
      expect(events[3].data.track).toMatchObject({ id: track.id, title: 'Freddie Freeloader' });
      expect(events[4].data.track).toMatchObject({ id: track.id });
      expect(events[5].data.release).toMatchObject({ id: release.id, version: 5 });
    });
  });

  describe('tenancy', () => {
    it('answers 404 on every route for another organization’s release and changes nothing', async () => {
      const a = await newClient(t);
      const b = await newClient(t);
      const release = await createRelease(a);
      const track = await addTrack(a, release.id);
      const base = `/v1/releases/${release.id}`;
      const attempts = [
        b.get(base),
        b.patch(base, { title: 'Stolen' }),
        b.patch(base, { title: 'Stolen' }).set('If-Match', '"v2"'),
        b.delete(base),
        b.post(`${base}/submit`),
        b.post(`${base}/status`, { status: 'approved' }),
        b.post(`${base}/tracks`, { title: 'Injected' }),
        b.get(`${base}/tracks/${track.id}`),
        b.patch(`${base}/tracks/${track.id}`, { title: 'Stolen' }),
        b.delete(`${base}/tracks/${track.id}`),
      ];
      for (const res of await Promise.all(attempts)) {
        const problem = expectProblem(res, 404);
        expect(JSON.stringify(problem)).not.toContain('Kind of Blue');
      }
      const now = await a.get(base).expect(200);
      expect(now.body).toMatchObject({ title: 'Kind of Blue', version: 2, status: 'draft' });
      expect(now.body.tracks).toHaveLength(1);
      expect(await outboxFor(t, b.orgId)).toEqual([]);
      expect((await outboxFor(t, a.orgId)).map((e) => e.type)).toEqual(['release.created', 'track.created']);
    });

    it('answers 404 for a track addressed through another release of the same organization', async () => {
      const c = await newClient(t);
      const one = await createRelease(c);
      const two = await createRelease(c);
      const track = await addTrack(c, one.id);
      expectProblem(await c.get(`/v1/releases/${two.id}/tracks/${track.id}`), 404);
      expectProblem(await c.patch(`/v1/releases/${two.id}/tracks/${track.id}`, { title: 'X' }), 404);
      expectProblem(await c.delete(`/v1/releases/${two.id}/tracks/${track.id}`), 404);
      await c.get(`/v1/releases/${one.id}/tracks/${track.id}`).expect(200);
    });
  });

  describe('scopes', () => {
    it('needs releases:read to read', async () => {
      const owner = await newClient(t);
      const release = await createRelease(owner);
      const noRead = await newClient(t, ['releases:write']);
      const res = await noRead.get('/v1/releases');
      expect(expectProblem(res, 403).missingScopes).toEqual(['releases:read']);
      expectProblem(await noRead.get(`/v1/releases/${release.id}`), 403);
    });

    it('needs releases:write to change, and writes nothing without it', async () => {
      const reader = await newClient(t, ['releases:read']);
      const res = await reader.post('/v1/releases', { title: 'T', artists: ['A'] });
      expect(expectProblem(res, 403).missingScopes).toEqual(['releases:write']);
      expect(await t.prisma.release.count({ where: { orgId: reader.orgId } })).toBe(0);

      // A key of the owner's own organization without the scope: 403 (another org's key would get 404).
      const owner = await newClient(t);
      const release = await createRelease(owner);
      const track = await addTrack(owner, release.id);
      const created = await owner.post('/v1/api-keys', { name: 'reader', scopes: ['releases:read'] }).expect(201);
      const r = clientFor(t, { orgId: owner.orgId, keyId: created.body.id, key: created.body.key });
      const base = `/v1/releases/${release.id}`;
      for (const attempt of [
        r.patch(base, { title: 'X' }),
        r.delete(base),
        r.post(`${base}/submit`),
        r.post(`${base}/tracks`, { title: 'X' }),
        r.patch(`${base}/tracks/${track.id}`, { title: 'X' }),
        r.delete(`${base}/tracks/${track.id}`),
      ]) {
        expect(expectProblem(await attempt, 403).missingScopes).toEqual(['releases:write']);
      }
      await r.get(base).expect(200);
      expect((await outboxFor(t, owner.orgId)).map((e) => e.type)).toEqual(['release.created', 'track.created']);
    });

    it('needs releases:publish for /status, which releases:write does not grant', async () => {
      const writer = await newClient(t, ['releases:read', 'releases:write']);
      const release = await createRelease(writer);
      const res = await writer.post(`/v1/releases/${release.id}/status`, { status: 'approved' });
      expect(expectProblem(res, 403).missingScopes).toEqual(['releases:publish']);
    });

    it('declares every route with its scope in OpenAPI', async () => {
      const doc = (await t.http.get('/openapi.json').expect(200)).body;
      // OpenAPI 3 lists scopes on the oauth2 scheme only; they apply to the key and a bearer token alike.
      const oauth2 = (path: string, method: string) => doc.paths[path]?.[method]?.security?.find((r: Record<string, string[]>) => 'oauth2' in r);
      const scopeOf = (path: string, method: string) => oauth2(path, method)?.oauth2;
      expect(scopeOf('/v1/releases', 'post')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases', 'get')).toEqual(['releases:read']);
      expect(scopeOf('/v1/releases/{id}', 'get')).toEqual(['releases:read']);
      expect(scopeOf('/v1/releases/{id}', 'patch')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases/{id}', 'delete')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases/{id}/submit', 'post')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases/{id}/status', 'post')).toEqual(['releases:publish']);
      expect(scopeOf('/v1/releases/{releaseId}/tracks', 'post')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases/{releaseId}/tracks/{trackId}', 'get')).toEqual(['releases:read']);
      expect(scopeOf('/v1/releases/{releaseId}/tracks/{trackId}', 'patch')).toEqual(['releases:write']);
      expect(scopeOf('/v1/releases/{releaseId}/tracks/{trackId}', 'delete')).toEqual(['releases:write']);
      expect(doc.paths['/v1/releases/{id}'].patch.parameters.map((p: { name: string }) => p.name)).toContain('If-Match');
      expect(doc.components.schemas.CreateReleaseDto.required).toEqual(['title', 'artists']);
      expect(doc.components.schemas.UpdateReleaseDto.required ?? []).toEqual([]);
    });

    it('answers 401 without a credential', async () => {
      expectProblem(await t.http.get('/v1/releases'), 401);
      expectProblem(await t.http.post('/v1/releases').send({ title: 'T', artists: ['A'] }), 401);
    });
  });
});
