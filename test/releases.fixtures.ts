// Shared setup for the releases e2e files (test/releases*.e2e-spec.ts): a
// client bound to one API key, release/track factories that go through the
// HTTP API, and readers for the outbox rows a change must (not) leave.
import { randomInt } from 'node:crypto';
import type { Response } from 'supertest';
import type { Scope } from '../src/platform/auth/scopes';
import { newId } from '../src/platform/ids';
import { createOrgWithKey } from './helpers/factories';
import type { TestApp } from './helpers/test-app';

export const UPC = '036000291452';
export const EAN = '4006381333931';

/**
 * A valid UPC-A unlikely to repeat within a test: a UPC/EAN identifies one
 * product, so two releases of one organization cannot share it (409).
 */
export function freshUpc(): string {
  const data = `${randomInt(1, 10)}${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`;
  // GS1 mod-10: from the rightmost data digit, weights 3, 1, 3, 1…
  const sum = [...data].reverse().reduce((total, digit, i) => total + Number(digit) * (i % 2 === 0 ? 3 : 1), 0);
  return `${data}${(10 - (sum % 10)) % 10}`;
}

/** A well-formed ISRC unlikely to repeat within a test (QZ is an agency prefix, see isrc.ts). */
export function freshIsrc(): string {
  return `QZ${randomInt(100, 999)}26${String(randomInt(0, 99999)).padStart(5, '0')}`;
}

export interface Client {
  orgId: string;
  keyId: string;
  key: string;
  get(path: string): ReturnType<TestApp['http']['get']>;
  post(path: string, body?: object): ReturnType<TestApp['http']['post']>;
  patch(path: string, body?: object): ReturnType<TestApp['http']['patch']>;
  delete(path: string): ReturnType<TestApp['http']['delete']>;
}

export async function newClient(t: TestApp, scopes?: Scope[]): Promise<Client> {
  const org = await createOrgWithKey(t, scopes);
  return clientFor(t, org);
}

export function clientFor(t: TestApp, org: { orgId: string; keyId: string; key: string }): Client {
  return {
    ...org,
    get: (path) => t.http.get(path).set('X-API-Key', org.key),
    post: (path, body) => (body === undefined ? t.http.post(path).set('X-API-Key', org.key) : t.http.post(path).set('X-API-Key', org.key).send(body)),
    patch: (path, body) => t.http.patch(path).set('X-API-Key', org.key).send(body ?? {}),
    delete: (path) => t.http.delete(path).set('X-API-Key', org.key),
  };
}

export async function createRelease(c: Client, body: object = {}): Promise<Record<string, any>> {
  const res = await c.post('/v1/releases', { title: 'Kind of Blue', artists: ['Miles Davis'], ...body });
  if (res.status !== 201) throw new Error(`create release: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function addTrack(c: Client, releaseId: string, body: object = {}): Promise<Record<string, any>> {
  const res = await c.post(`/v1/releases/${releaseId}/tracks`, { title: 'So What', ...body });
  if (res.status !== 201) throw new Error(`add track: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Gives every track of the release an accepted audio upload, straight in the
 * database: these tests are about the lifecycle, not about uploading audio
 * (PUT …/tracks/:id/audio has its own tests).
 */
export async function attachAudioDirectly(t: TestApp, releaseId: string): Promise<void> {
  const tracks = await t.prisma.track.findMany({ where: { releaseId } });
  for (const track of tracks) {
    const upload = await t.prisma.upload.create({
      data: {
        id: newId('upl'),
        orgId: track.orgId,
        filename: 'master.wav',
        size: 1_058_444n,
        sha256: '0'.repeat(64),
        mimeType: 'audio/wav',
        container: 'WAV',
        codec: 'PCM',
        sampleRate: 44100,
        bitsPerSample: 16,
        channels: 2,
        durationMs: 6000,
        status: 'accepted',
        problems: [],
      },
    });
    await t.prisma.track.update({ where: { id: track.id }, data: { audioUploadId: upload.id } });
  }
}

/** A draft that passes the completeness check: UPC, date, one track with ISRC and audio. */
export async function completeDraft(t: TestApp, c: Client): Promise<Record<string, any>> {
  const release = await createRelease(c, { upc: freshUpc(), releaseDate: '2026-06-01' });
  await addTrack(c, release.id, { isrc: freshIsrc() });
  await attachAudioDirectly(t, release.id);
  return (await c.get(`/v1/releases/${release.id}`).expect(200)).body;
}

/** Moves a release to `status` along legal transitions (needs releases:write and releases:publish). */
export async function releaseIn(t: TestApp, c: Client, status: string): Promise<Record<string, any>> {
  const release = await completeDraft(t, c);
  const paths: Record<string, string[]> = {
    draft: [],
    submitted: ['submit'],
    approved: ['submit', 'approved'],
    rejected: ['submit', 'rejected'],
    live: ['submit', 'approved', 'live'],
    taken_down: ['submit', 'approved', 'live', 'taken_down'],
  };
  let body = release;
  for (const step of paths[status]) {
    const res = step === 'submit' ? await c.post(`/v1/releases/${release.id}/submit`) : await c.post(`/v1/releases/${release.id}/status`, { status: step });
    if (res.status !== 200) throw new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
    body = res.body;
  }
  return body;
}

export interface OutboxRow {
  type: string;
  data: any;
}

/** The organization's release.* and track.* events, oldest first (key events are another feature's). */
export async function outboxFor(t: TestApp, orgId: string): Promise<OutboxRow[]> {
  const rows = await t.prisma.outboxEvent.findMany({
    where: { orgId, OR: [{ type: { startsWith: 'release.' } }, { type: { startsWith: 'track.' } }] },
    orderBy: { id: 'asc' },
  });
  return rows.map((row) => ({ type: row.type, data: row.data }));
}

export function expectProblem(res: Response, status: number): Record<string, any> {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.body;
}

export function fieldsOf(res: Response): string[] {
  return (res.body.errors ?? []).map((e: { field: string }) => e.field);
}

/** Asserts a problem+json answer with this status and returns the fields its errors name. */
export function problemFields(res: Response, status: number): string[] {
  expectProblem(res, status);
  return fieldsOf(res);
}
