// Uploads across API instances (issue 16): two app instances sharing one
// database and one S3 bucket, as two replicas behind a load balancer, each
// with a local UPLOAD_DIR of its own. An upload accepted by A is read, ranged,
// attached, submitted and deleted through B: nothing about it lives on A.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Response as SuperagentResponse } from 'superagent';
import { wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { startUploadBackend, UploadBackend } from './helpers/upload-backends';
import { freshIsrc, UPC } from './releases.fixtures';

describe('Uploads across two instances on one database and one bucket', () => {
  let b: UploadBackend;
  let a: TestApp;
  let other: TestApp;
  let otherDir: string;
  let org: OrgWithKey;

  beforeAll(async () => {
    b = await startUploadBackend('s3');
    otherDir = mkdtempSync(path.join(tmpdir(), 'musicpub-uploads-b-'));
    a = await startTestApp({ env: b.env });
    other = await startTestApp({ env: { ...b.env, UPLOAD_DIR: otherDir }, database: a.database });
    org = await createOrgWithKey(a);
  });
  afterAll(async () => {
    await other?.close();
    await a?.close();
    await b?.close();
    rmSync(otherDir, { recursive: true, force: true });
  });

  const on = (t: TestApp) => ({
    get: (url: string) => t.http.get(url).set('X-API-Key', org.key),
    put: (url: string, body: object) => t.http.put(url).set('X-API-Key', org.key).send(body),
    post: (url: string, body?: object) => t.http.post(url).set('X-API-Key', org.key).send(body ?? {}),
    delete: (url: string) => t.http.delete(url).set('X-API-Key', org.key),
  });

  it('uploads on A; reads, ranges, attaches, submits and deletes through B', async () => {
    const bytes = wav({ durationMs: 1200 });
    const up = await a.http.post('/v1/uploads').set('X-API-Key', org.key).attach('file', bytes, 'Freddie Freeloader.wav').expect(201);
    const spare = await a.http.post('/v1/uploads').set('X-API-Key', org.key).attach('file', wav(), 'spare.wav').expect(201);
    const id = up.body.id as string;
    const B = on(other);

    expect((await B.get(`/v1/uploads/${id}`).expect(200)).body).toEqual(up.body);
    const whole = await B.get(`/v1/uploads/${id}/content`).buffer(true).parse(binary).expect(200);
    expect(whole.headers.etag).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    expect(Buffer.compare(whole.body as Buffer, bytes)).toBe(0);
    const ranged = await B.get(`/v1/uploads/${id}/content`).set('Range', 'bytes=40-139').buffer(true).parse(binary).expect(206);
    expect(ranged.headers['content-range']).toBe(`bytes 40-139/${bytes.length}`);
    expect(Buffer.compare(ranged.body as Buffer, bytes.subarray(40, 140))).toBe(0);
    const signed = await B.get(`/v1/uploads/${id}/download-url`).expect(200);
    expect(Buffer.compare(Buffer.from(await (await fetch(signed.body.url)).arrayBuffer()), bytes)).toBe(0);

    const release = await B.post('/v1/releases', { title: 'Kind of Blue', artists: ['Miles Davis'], upc: UPC, releaseDate: '2026-06-01' }).expect(201);
    const track = await B.post(`/v1/releases/${release.body.id}/tracks`, { title: 'Freddie Freeloader', isrc: freshIsrc() }).expect(201);
    await B.put(`/v1/releases/${release.body.id}/tracks/${track.body.id}/audio`, { uploadId: id }).expect(200);
    await B.post(`/v1/releases/${release.body.id}/submit`).expect(200);
    await B.delete(`/v1/uploads/${id}`).expect(409);

    await B.delete(`/v1/uploads/${spare.body.id}`).expect(204);
    await on(a).get(`/v1/uploads/${spare.body.id}`).expect(404);
    expect(await b.storedKeys()).toEqual([id]);
    // Neither instance kept anything on its own disk.
    expect(existsSync(path.join(b.uploadDir, 'objects'))).toBe(false);
    expect(existsSync(path.join(otherDir, 'objects'))).toBe(false);
    expect(await b.leftovers()).toEqual([]);
  });
});

/** supertest parser that keeps any body as a Buffer. */
function binary(res: SuperagentResponse, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}
