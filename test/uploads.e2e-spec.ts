// Audio uploads (API guide: Uploads and the distribution rules): what a good upload yields, and how its content,
// listing, deletion, tenancy and scopes behave — on both storage backends
// (the local disk and an S3 bucket), plus what only a bucket does (presigned
// URLs, server-side encryption, multipart uploads). Bad input is in
// uploads-bad-input.e2e-spec.ts, memory in uploads-memory.e2e-spec.ts, two
// instances on one bucket in uploads-instances.e2e-spec.ts.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import type { Response as SuperagentResponse } from 'superagent';
import type { Response } from 'supertest';
import { aiff, flac, mp3, wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { UploadsService } from '../src/modules/uploads/uploads.service';
import { startTestApp, TestApp } from './helpers/test-app';
import { BACKENDS, startUploadBackend, type UploadBackend } from './helpers/upload-backends';
import { eventually, listen, multipartFrame } from './helpers/upload-requests';
import { StoredObjectDeletions } from '../src/modules/uploads/stored-object-deletions';

describe.each(BACKENDS)('Audio uploads (%s storage)', (backend) => {
  let t: TestApp;
  let b: UploadBackend;
  let org: OrgWithKey;

  beforeAll(async () => {
    b = await startUploadBackend(backend);
    t = await startTestApp({ env: b.env });
    org = await createOrgWithKey(t);
  });
  afterAll(async () => {
    await t?.close();
    await b?.close();
  });

  function upload(bytes: Buffer, options: { key?: string; filename?: string; contentType?: string; fields?: Record<string, string>; digest?: string } = {}) {
    let req = t.http.post('/v1/uploads').set('X-API-Key', options.key ?? org.key);
    if (options.digest) req = req.set('Content-Digest', options.digest);
    for (const [name, value] of Object.entries(options.fields ?? {})) req = req.field(name, value);
    return req.attach('file', bytes, { filename: options.filename ?? 'master.wav', contentType: options.contentType ?? 'audio/wav' });
  }

  async function uploaded(bytes: Buffer, options: Parameters<typeof upload>[1] = {}): Promise<Record<string, any>> {
    const res = await upload(bytes, options);
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

  describe('POST /v1/uploads', () => {
    it('accepts a CD-quality WAV: stored under its id, described from its bytes, announced once', async () => {
      const bytes = wav({ durationMs: 1500 });
      const res = await upload(bytes, { filename: 'So What.wav' }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^upl_[0-9A-Z]{26}$/),
        filename: 'So What.wav',
        size: bytes.length,
        sha256: sha256(bytes).toString('hex'),
        mimeType: 'audio/wav',
        format: { container: 'WAV', codec: 'PCM', sampleRate: 44100, bitsPerSample: 16, channels: 2, durationMs: 1500 },
        status: 'accepted',
        problems: [],
        trackId: null,
        createdAt: expect.any(String),
      });
      expect(res.headers.location).toBe(`/v1/uploads/${res.body.id}`);

      // The bytes live under the id, not the client's name; nothing staged is left.
      expect(await b.storedKeys()).toContain(res.body.id);
      expect(await b.leftovers()).toEqual([]);

      const events = await t.prisma.outboxEvent.findMany({ where: { orgId: org.orgId, type: { startsWith: 'upload.' } } });
      const mine = events.filter((e) => (e.data as any).upload.id === res.body.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: 'upload.accepted', data: { upload: res.body } });
    });

    it.each<[string, () => Buffer, Record<string, unknown>]>([
      ['FLAC 24/96', () => flac({ sampleRate: 96_000, bitsPerSample: 24, durationMs: 2000 }), { container: 'FLAC', codec: 'FLAC', sampleRate: 96000, bitsPerSample: 24, channels: 2, durationMs: 2000 }],
      ['AIFF 24/48', () => aiff({ sampleRate: 48_000, bitsPerSample: 24 }), { container: 'AIFF', codec: 'PCM', sampleRate: 48000, bitsPerSample: 24, channels: 2, durationMs: 1500 }],
      ['WAVE_FORMAT_EXTENSIBLE 24-bit', () => wav({ bitsPerSample: 24, extensible: true }), { container: 'WAV', codec: 'PCM', bitsPerSample: 24 }],
      ['32-bit float WAV', () => wav({ float: true }), { container: 'WAV', codec: 'PCM float', bitsPerSample: 32 }],
    ])('accepts %s', async (_label, make, format) => {
      const body = await uploaded(make());
      expect(body.status).toBe('accepted');
      expect(body.problems).toEqual([]);
      expect(body.format).toMatchObject(format);
    });

    it('keeps an MP3 but rejects it as lossy', async () => {
      const res = await upload(mp3({ durationMs: 2000 }), { filename: 'preview.mp3', contentType: 'audio/mpeg' }).expect(201);
      expect(res.body).toMatchObject({
        mimeType: 'audio/mpeg',
        format: { container: 'MP3', codec: 'MPEG-1 Layer III', sampleRate: 44100, bitsPerSample: null, channels: 2 },
        status: 'rejected',
        problems: ['lossy'],
      });
      expect(res.body.format.durationMs).toBeGreaterThanOrEqual(2000);
      expect(await b.storedKeys()).toContain(res.body.id);
      const event = await t.prisma.outboxEvent.findMany({ where: { orgId: org.orgId, type: 'upload.rejected' } });
      expect(event.filter((e) => (e.data as any).upload.id === res.body.id)).toHaveLength(1);
    });

    it('lists every distribution rule a lossless file breaks', async () => {
      const body = await uploaded(wav({ sampleRate: 22_050, bitsPerSample: 8, channels: 1, durationMs: 500 }));
      expect(body.status).toBe('rejected');
      expect(body.problems).toEqual(['sample-rate-too-low', 'bit-depth-too-low', 'not-stereo', 'too-short']);
    });

    it('rejects a WAV whose data stops at 5.1 s of the 10 s its header declares as truncated, with the duration it holds', async () => {
      const whole = wav({ durationMs: 10_000 });
      const body = await uploaded(whole.subarray(0, 44 + Math.round(5.1 * 44_100) * 4));
      expect(body).toMatchObject({ status: 'rejected', problems: ['truncated'], format: { durationMs: 5100 } });
    });

    it('rejects a FLAC that lost its last frames, and one with a header and no frames at all', async () => {
      const whole = flac({ durationMs: 10_000 });
      const cut = await uploaded(whole.subarray(0, Math.floor(whole.length * 0.51)), { filename: 'cut.flac' });
      expect(cut).toMatchObject({ status: 'rejected', problems: ['truncated'] });
      expect(cut.format.durationMs).toBeLessThan(5200);
      // STREAMINFO claims 10 s; no frame holds any of it.
      const headerOnly = await uploaded(whole.subarray(0, 4 + 4 + 34), { filename: 'empty.flac' });
      expect(headerOnly).toMatchObject({ status: 'rejected', problems: ['too-short', 'truncated'], format: { container: 'FLAC', durationMs: 0 } });
    });

    it('decides the type from the bytes, not the name or declared type', async () => {
      const body = await uploaded(wav(), { filename: 'not-really.mp3', contentType: 'application/octet-stream' });
      expect(body.mimeType).toBe('audio/wav');
      expect(body.filename).toBe('not-really.mp3');
    });

    it('verifies a matching Content-Digest (RFC 9530)', async () => {
      const bytes = flac();
      const body = await uploaded(bytes, { filename: 'x.flac', digest: `sha-256=:${sha256(bytes).toString('base64')}:` });
      expect(body.sha256).toBe(sha256(bytes).toString('hex'));
    });

    it('stores a traversal filename sanitized, and the bytes only under the upload id', async () => {
      const before = await b.storedKeys();
      const body = await uploaded(wav(), { filename: '../../etc/passwd.wav' });
      expect(body.filename).toBe('passwd.wav');
      expect(await b.storedKeys()).toEqual([...before, body.id].sort());
      expect(existsSync(path.join(b.uploadDir, '..', '..', 'etc', 'passwd.wav'))).toBe(false);
    });

    it('keeps a UTF-8 filename', async () => {
      const body = await uploaded(wav(), { filename: 'Ça plane pour moi.wav' });
      expect(body.filename).toBe('Ça plane pour moi.wav');
    });
  });

  describe('Idempotency-Key (API guide: Idempotency)', () => {
    it('replays the first response for the same file and fields, without a second row or event', async () => {
      const own = await createOrgWithKey(t);
      const bytes = wav();
      const first = await upload(bytes, { key: own.key }).set('Idempotency-Key', '"upload-1"').expect(201);
      const again = await upload(bytes, { key: own.key, filename: 'renamed.wav' }).set('Idempotency-Key', '"upload-1"').expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.text).toBe(first.text);
      expect(await t.prisma.upload.count({ where: { orgId: own.orgId } })).toBe(1);
      expect(await t.prisma.outboxEvent.count({ where: { orgId: own.orgId, type: { startsWith: 'upload.' } } })).toBe(1);
      expect(await b.leftovers()).toEqual([]);
    });

    it('refuses the same key with another file (422) and a malformed key (400), keeping nothing', async () => {
      const own = await createOrgWithKey(t);
      await upload(wav(), { key: own.key }).set('Idempotency-Key', 'upload-2').expect(201);
      const other = await upload(flac(), { key: own.key }).set('Idempotency-Key', 'upload-2').expect(422);
      expect(other.body.type).toBe('https://musicpub.dev/problems#idempotency-key-reused');
      await upload(wav(), { key: own.key }).set('Idempotency-Key', '"unterminated').expect(400);
      expect(await t.prisma.upload.count({ where: { orgId: own.orgId } })).toBe(1);
      expect(await b.leftovers()).toEqual([]);
    });

    it('frees the key when the upload fails, so a corrected retry goes through', async () => {
      const own = await createOrgWithKey(t);
      const bytes = wav();
      const wrong = createHash('sha256').update('other').digest('base64');
      await upload(bytes, { key: own.key, digest: `sha-256=:${wrong}:` }).set('Idempotency-Key', 'upload-3').expect(422);
      const retry = await upload(bytes, { key: own.key }).set('Idempotency-Key', 'upload-3').expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('GET /v1/uploads/:id/content', () => {
    let bytes: Buffer;
    let id: string;
    beforeAll(async () => {
      bytes = wav({ durationMs: 1000 });
      id = (await uploaded(bytes, { filename: 'Ça "plane".wav' })).id;
    });
    const get = (range?: string, extra: Record<string, string> = {}) => {
      let req = t.http.get(`/v1/uploads/${id}/content`).set('X-API-Key', org.key);
      if (range) req = req.set('Range', range);
      for (const [name, value] of Object.entries(extra)) req = req.set(name, value);
      return req.buffer(true).parse(binary);
    };

    it('streams the whole file as an attachment with the sniffed type', async () => {
      const res = await get().expect(200);
      expect(res.headers['content-type']).toBe('audio/wav');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="_a _plane_.wav"; filename*=UTF-8''%C3%87a%20_plane_.wav`);
      expect(res.headers['content-length']).toBe(String(bytes.length));
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers.etag).toBe(`"${sha256(bytes).toString('hex')}"`);
      expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
    });

    it.each([
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, -1],
      ['bytes=-44', -44, -1],
      // RFC 9110 §14.1.2: a suffix longer than the file selects the whole file.
      ['bytes=-999999999', 0, -1],
    ])('answers Range %s with 206 and Content-Range', async (range, from, to) => {
      const start = from < 0 ? bytes.length + from : from;
      const end = to < 0 ? bytes.length - 1 : to;
      const res = await get(range).expect(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(res.headers['content-length']).toBe(String(end - start + 1));
      expect(res.headers['content-type']).toBe('audio/wav');
      expect(Buffer.compare(res.body as Buffer, bytes.subarray(start, end + 1))).toBe(0);
    });

    it.each(['past the end', 'reversed (bytes=10-5)'])('answers a Range %s with 416 and the size', async (label) => {
      const res = await get(label === 'past the end' ? `bytes=${bytes.length}-` : 'bytes=10-5').expect(416);
      expect(res.headers['content-range']).toBe(`bytes */${bytes.length}`);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse((res.body as Buffer).toString('utf8'))).toMatchObject({ status: 416, title: 'Range Not Satisfiable' });
    });

    it('names the download with the detected audio extension, never the client\'s (x.html → x.wav)', async () => {
      const html = await uploaded(wav(), { filename: 'x.html', contentType: 'text/html' });
      expect(html.filename).toBe('x.html');
      const res = await t.http.get(`/v1/uploads/${html.id}/content`).set('X-API-Key', org.key).buffer(true).parse(binary).expect(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="x.wav"; filename*=UTF-8''x.wav`);
    });

    // Local disk only: on S3 a download holds a socket to the bucket, not a file descriptor.
    if (backend === 'local') it('closes the file when clients hang up right after asking (no descriptor waits for GC)', async () => {
      const big = await uploaded(wav());
      const target = path.join(b.uploadDir, 'objects', big.id);
      const openOnTarget = () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === target;
          } catch {
            return false;
          }
        }).length;
      const base = await listen(t);
      const { host, port } = new URL(base);
      const hangUp = () =>
        new Promise<void>((resolve) => {
          const socket = connect({ host: host.split(':')[0], port: Number(port) }, () => {
            // Gone as soon as the request is out, before the server has even looked the upload up.
            socket.write(`GET /v1/uploads/${big.id}/content HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${org.key}\r\n\r\n`, () => {
              socket.destroy();
              resolve();
            });
          });
          socket.on('error', () => resolve());
        });
      // Counts the files the route opened, so the check below runs only once every request got that far.
      const opened = jest.spyOn(t.app.get(UploadsService), 'openContent');
      try {
        for (let i = 0; i < 40; i++) await hangUp();
        expect(await eventually(() => opened.mock.results.length === 40, 10_000)).toBe(true);
        await Promise.allSettled(opened.mock.results.map((r) => r.value as Promise<unknown>));
      } finally {
        opened.mockRestore();
      }
      // Before the fix every one stayed open until a garbage collection (DEP0137).
      expect(await eventually(() => openOnTarget() === 0, 2000)).toBe(true);
    });

    it('ignores Range when If-Range names another version', async () => {
      await get('bytes=0-9', { 'If-Range': '"something-else"' }).expect(200);
      const res = await get('bytes=0-9', { 'If-Range': `"${sha256(bytes).toString('hex')}"` }).expect(206);
      expect((res.body as Buffer).length).toBe(10);
    });
  });

  describe('GET /v1/uploads', () => {
    it('lists newest first with keyset pagination and a status filter', async () => {
      const own = await createOrgWithKey(t);
      const ids: string[] = [];
      for (const make of [() => wav(), () => mp3(), () => flac()]) ids.push((await uploaded(make(), { key: own.key })).id);

      const first = await t.http.get('/v1/uploads?limit=2').set('X-API-Key', own.key).expect(200);
      expect(first.body.data.map((u: { id: string }) => u.id)).toEqual([ids[2], ids[1]]);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http.get(`/v1/uploads?limit=2&cursor=${first.body.nextCursor}`).set('X-API-Key', own.key).expect(200);
      expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

      const rejected = await t.http.get('/v1/uploads?status=rejected').set('X-API-Key', own.key).expect(200);
      expect(rejected.body.data.map((u: { id: string }) => u.id)).toEqual([ids[1]]);
      await t.http.get('/v1/uploads?status=pending').set('X-API-Key', own.key).expect(400);
    });

    it('shows one upload as it was answered at creation', async () => {
      const body = await uploaded(aiff());
      const res = await t.http.get(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(200);
      expect(res.body).toEqual(body);
    });
  });

  describe('DELETE /v1/uploads/:id', () => {
    it('deletes the row and the file', async () => {
      const body = await uploaded(wav());
      expect(await b.storedKeys()).toContain(body.id);
      await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(204);
      expect(await b.storedKeys()).not.toContain(body.id);
      expect(await t.prisma.storedObjectDeletion.count({ where: { key: body.id } })).toBe(0);
      expect(await t.prisma.upload.count({ where: { id: body.id } })).toBe(0);
      await t.http.get(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(404);
      await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(404);
    });

    it('refuses while a track uses the upload', async () => {
      const body = await uploaded(wav());
      const release = await t.http.post('/v1/releases').set('X-API-Key', org.key).send({ title: 'Blue', artists: ['Miles'] }).expect(201);
      const track = await t.http.post(`/v1/releases/${release.body.id}/tracks`).set('X-API-Key', org.key).send({ title: 'So What' }).expect(201);
      // Attaching has its own tests (uploads-attach); here only the refusal matters.
      await t.prisma.track.update({ where: { id: track.body.id }, data: { audioUploadId: body.id } });

      const res = await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(409);
      expect(res.body).toMatchObject({ status: 409, trackIds: [track.body.id] });
      expect(await b.storedKeys()).toContain(body.id);
      expect(await t.prisma.upload.count({ where: { id: body.id } })).toBe(1);
    });
  });

  describe('GET /v1/uploads/:id/download-url', () => {
    if (backend === 'local') {
      it('answers 409 on the local disk, naming the way that works', async () => {
        const body = await uploaded(wav());
        const res = await t.http.get(`/v1/uploads/${body.id}/download-url`).set('X-API-Key', org.key).expect(409);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: 'https://musicpub.dev/problems#download-url-unavailable', status: 409 });
        expect(res.body.detail).toContain('/content');
      });
    } else {
      it('signs a URL for that one object, valid for at most five minutes', async () => {
        const bytes = wav({ durationMs: 800 });
        const body = await uploaded(bytes, { filename: 'Blue in Green.wav' });
        const res = await t.http.get(`/v1/uploads/${body.id}/download-url`).set('X-API-Key', org.key).expect(200);
        expect(res.headers['cache-control']).toBe('no-store');
        const lifetime = Date.parse(res.body.expiresAt) - Date.now();
        expect(lifetime).toBeGreaterThan(290_000);
        expect(lifetime).toBeLessThanOrEqual(300_000);
        const url = new URL(res.body.url);
        expect(url.pathname).toBe(`/${b.s3!.bucket}/${body.id}`);
        expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
        expect(url.searchParams.get('response-content-type')).toBe('audio/wav');
        expect(url.searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="Blue in Green.wav"/);
        const fetched = await fetch(url);
        expect(fetched.status).toBe(200);
        expect(Buffer.compare(Buffer.from(await fetched.arrayBuffer()), bytes)).toBe(0);

        const other = await createOrgWithKey(t);
        expectNotFound(await t.http.get(`/v1/uploads/${body.id}/download-url`).set('X-API-Key', other.key));
        const writer = await createOrgWithKey(t, ['uploads:write']);
        await t.http.get(`/v1/uploads/${body.id}/download-url`).set('X-API-Key', writer.key).expect(403);
      });
    }
  });

  if (backend === 's3') {
    describe('on a bucket', () => {
      const s3 = () => b.s3!;
      const isAbort = (r: { method: string; query: URLSearchParams }) => r.method === 'DELETE' && r.query.has('uploadId');
      const isComplete = (r: { method: string; query: URLSearchParams }) => r.method === 'POST' && r.query.has('uploadId');

      it('requests server-side encryption for every object it creates', async () => {
        await uploaded(flac());
        const creates = s3().requests.filter((r) => r.method === 'POST' && r.query.has('uploads'));
        expect(creates.length).toBeGreaterThan(0);
        for (const create of creates) expect(create.headers['x-amz-server-side-encryption']).toBe('AES256');
      });

      it('streams a large file as 5 MiB parts and serves ranges across them', async () => {
        const bytes = wav({ durationMs: 31_000 }); // ~5.5 MB: two parts
        const from = s3().requests.length;
        const body = await uploaded(bytes);
        const parts = s3().requests.slice(from).filter((r) => r.method === 'PUT' && r.query.has('partNumber'));
        expect(parts.map((r) => [r.query.get('partNumber'), r.headers['content-length']])).toEqual([
          ['1', String(5 * 1024 * 1024)],
          ['2', String(bytes.length - 5 * 1024 * 1024)],
        ]);
        const start = 5 * 1024 * 1024 - 10;
        const res = await t.http.get(`/v1/uploads/${body.id}/content`).set('X-API-Key', org.key).set('Range', `bytes=${start}-${start + 19}`).buffer(true).parse(binary).expect(206);
        expect(Buffer.compare(res.body as Buffer, bytes.subarray(start, start + 20))).toBe(0);
      }, 90_000);

      it('leaves no object and no row when Content-Digest does not match: the multipart upload is aborted, never completed', async () => {
        const own = await createOrgWithKey(t);
        const before = await s3().keys();
        const from = s3().requests.length;
        const wrong = createHash('sha256').update('other').digest('base64');
        await upload(wav(), { key: own.key, digest: `sha-256=:${wrong}:` }).expect(422);
        const sent = s3().requests.slice(from);
        expect(sent.filter(isAbort)).toHaveLength(1);
        expect(sent.filter(isComplete)).toEqual([]);
        expect(await s3().keys()).toEqual(before);
        expect(await b.leftovers()).toEqual([]);
        expect(await t.prisma.upload.count({ where: { orgId: own.orgId } })).toBe(0);
      });

      it('aborts the multipart upload of a client that goes away mid-file', async () => {
        const before = await s3().keys();
        const from = s3().requests.length;
        const baseUrl = await listen(t);
        const frame = multipartFrame({ filename: 'cut.wav', contentType: 'audio/wav' });
        const bytes = wav({ durationMs: 31_000 });
        const req = http.request(`${baseUrl}/v1/uploads`, {
          method: 'POST',
          headers: { 'X-API-Key': org.key, 'Content-Type': frame.contentType, 'Content-Length': frame.head.length + bytes.length + frame.tail.length },
        });
        req.on('error', () => undefined);
        req.write(frame.head);
        req.write(bytes.subarray(0, 5.2 * 1024 * 1024)); // past the first part
        expect(await eventually(() => s3().requests.slice(from).some((r) => r.method === 'PUT' && r.query.get('partNumber') === '1'))).toBe(true);
        req.destroy();
        expect(await eventually(() => s3().requests.slice(from).some(isAbort))).toBe(true);
        expect(await eventually(async () => (await b.leftovers()).length === 0)).toBe(true);
        expect(s3().requests.slice(from).filter(isComplete)).toEqual([]);
        expect(await s3().keys()).toEqual(before);
      }, 90_000);

      it('retries a failed object delete until the bucket takes it, with the row gone at once', async () => {
        const body = await uploaded(wav());
        const deleteOf = (r: { method: string; key: string; query: URLSearchParams }) => r.method === 'DELETE' && r.key === body.id && !r.query.has('uploadId');
        // The SDK tries three times before the service sees the failure.
        s3().fail(deleteOf, 3);
        await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', org.key).expect(204);
        expect(await t.prisma.upload.count({ where: { id: body.id } })).toBe(0);
        expect(await s3().keys()).toContain(body.id);
        const pending = await t.prisma.storedObjectDeletion.findUniqueOrThrow({ where: { key: body.id } });
        expect(pending).toMatchObject({ attempts: 1, lastError: expect.stringContaining('Injected by the test') });
        expect(pending.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());

        const deletions = t.app.get(StoredObjectDeletions);
        expect(await deletions.drain()).toBe(0); // not due yet
        await t.prisma.storedObjectDeletion.update({ where: { key: body.id }, data: { nextAttemptAt: new Date() } });
        expect(await deletions.drain()).toBe(1);
        expect(await s3().keys()).not.toContain(body.id);
        expect(await t.prisma.storedObjectDeletion.count({ where: { key: body.id } })).toBe(0);
      });
    });
  }

  describe('tenancy and scopes', () => {
    it('answers 404 to another organization, for every route', async () => {
      const body = await uploaded(wav());
      const other = await createOrgWithKey(t);
      for (const route of [`/v1/uploads/${body.id}`, `/v1/uploads/${body.id}/content`]) {
        const res = await t.http.get(route).set('X-API-Key', other.key);
        expectNotFound(res);
      }
      expectNotFound(await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', other.key));
      const list = await t.http.get('/v1/uploads').set('X-API-Key', other.key).expect(200);
      expect(list.body.data).toEqual([]);
      expect(await b.storedKeys()).toContain(body.id);
    });

    it('needs uploads:write to upload and delete, uploads:read to read', async () => {
      const reader = await createOrgWithKey(t, ['uploads:read']);
      const before = await b.storedKeys();
      const denied = await upload(wav(), { key: reader.key }).expect(403);
      expect(denied.body.detail).toContain('uploads:write');
      expect(await b.storedKeys()).toEqual(before);
      expect(await t.prisma.upload.count({ where: { orgId: reader.orgId } })).toBe(0);

      const writer = await createOrgWithKey(t, ['uploads:write']);
      const body = await uploaded(wav(), { key: writer.key });
      await t.http.get(`/v1/uploads/${body.id}`).set('X-API-Key', writer.key).expect(403);
      await t.http.get(`/v1/uploads/${body.id}/content`).set('X-API-Key', writer.key).expect(403);
      await t.http.get('/v1/uploads').set('X-API-Key', writer.key).expect(403);
      await t.http.delete(`/v1/uploads/${body.id}`).set('X-API-Key', writer.key).expect(204);
    });

    it('needs a credential', async () => {
      await t.http.post('/v1/uploads').attach('file', wav(), 'x.wav').expect(401);
      await t.http.get('/v1/uploads').expect(401);
    });
  });
});

function expectNotFound(res: Response): void {
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

/** supertest parser that keeps any body as a Buffer. */
function binary(res: SuperagentResponse, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}
