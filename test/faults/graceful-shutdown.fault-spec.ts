// Fault: SIGTERM while requests and uploads are in flight (API guide: Uploads and the distribution rules, Operations).
// The API process gets SIGTERM with, in flight:
// - a JSON request whose body is still arriving → it completes with 201 and its row exists;
// - an upload whose body is still arriving → it completes with 201 and the file is stored;
// - an upload the client abandons mid-body → no temporary file, no row;
// - an upload whose client stalls and never finishes → cut at the shutdown deadline, no file, no row.
// Meanwhile the process accepts no new connection, and it exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { wav } from '../helpers/audio-fixtures';
import { filesUnder, multipartFrame } from '../helpers/upload-requests';
import { createFaultDatabase, FaultDatabase } from './helpers/fault-database';
import { call, Outcome, sleep, waitUntil } from './helpers/http-client';
import { ApiProcess, createOrganization, deploymentEnv, Exit, Organization, startApi, stopAllProcesses } from './helpers/processes';
import { SlowRequest, SlowResponse } from './helpers/slow-request';

/** How long the process may take to exit after SIGTERM: the 10 s drain deadline (src/server.ts) and some. */
const EXIT_WITHIN_MS = 20_000;

const tempFiles = (dir: string) => filesUnder(dir).filter((f) => f.startsWith('tmp/'));

describe('SIGTERM during requests and uploads', () => {
  let database: FaultDatabase;
  let api: ApiProcess;
  let org: Organization;
  let uploadDir: string;
  // What the scenario observed; each test below checks one promise of the API guide.
  let late: Outcome;
  let jsonResponse: SlowResponse;
  let uploadResponse: SlowResponse;
  let stalledOutcome: string;
  let tempFilesAfterAbandon: string[];
  let exit: Exit;
  let exitAfterMs: number;

  function startUpload(title: string) {
    const frame = multipartFrame({ filename: `${title}.wav`, contentType: 'audio/wav' });
    const audio = wav({ durationMs: 1500 });
    const request = new SlowRequest(`${api.baseUrl}/v1/uploads`, {
      'X-API-Key': org.key,
      'Content-Type': frame.contentType,
      'Content-Length': frame.head.length + audio.length + frame.tail.length,
    });
    const half = audio.length / 2;
    return { request, first: Buffer.concat([frame.head, audio.subarray(0, half)]), rest: Buffer.concat([audio.subarray(half), frame.tail]) };
  }

  beforeAll(async () => {
    database = await createFaultDatabase();
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-faults-uploads-'));
    const env = deploymentEnv(database.url, { UPLOAD_DIR: uploadDir });
    org = await createOrganization(env);
    api = await startApi(env);

    // In flight: a JSON body half sent, and three uploads with half their audio sent.
    const releaseBody = Buffer.from(JSON.stringify({ title: 'Finished during shutdown', artists: ['Fault Tester'] }));
    const slowJson = new SlowRequest(`${api.baseUrl}/v1/releases`, { 'X-API-Key': org.key, 'Content-Type': 'application/json', 'Content-Length': releaseBody.length });
    await slowJson.write(releaseBody.subarray(0, 10));
    const [completing, abandoned, stalled] = [startUpload('completing'), startUpload('abandoned'), startUpload('stalled')];
    for (const upload of [completing, abandoned, stalled]) await upload.request.write(upload.first);
    await waitUntil('three uploads writing their temporary files', () => tempFiles(uploadDir).length === 3, 5000);

    api.kill('SIGTERM');
    const termAt = Date.now();
    await sleep(300);
    late = await call(api.baseUrl, 'GET', '/health/live', { timeoutMs: 2000 });

    // The client of one upload goes away; the other two in-flight requests finish sending.
    abandoned.request.abandon();
    [jsonResponse, uploadResponse] = await Promise.all([
      slowJson.trickle(releaseBody.subarray(10), 3, 200).then(() => slowJson.response),
      completing.request.trickle(completing.rest, 4, 200).then(() => completing.request.response),
    ]);
    await sleep(500);
    tempFilesAfterAbandon = tempFiles(uploadDir);

    // The stalled client never finishes; the process must exit anyway.
    exit = await api.waitForExit(EXIT_WITHIN_MS);
    exitAfterMs = Date.now() - termAt;
    stalledOutcome = await stalled.request.response.then(
      (r) => `answered ${r.status}`,
      (error: Error) => `cut (${error.message})`,
    );
    console.log(`graceful shutdown: process exited ${exit.code ?? exit.signal} ${exitAfterMs} ms after SIGTERM; stalled upload ${stalledOutcome}`);
  }, 60_000);

  afterAll(async () => {
    await stopAllProcesses();
    await database?.drop();
    if (uploadDir) rmSync(uploadDir, { recursive: true, force: true });
  });

  it('accepts no new connection once SIGTERM arrived', () => {
    expect(late.status).toBe(0);
  });

  it('finishes the request in flight (201, row written)', async () => {
    expect([jsonResponse.status, jsonResponse.json?.status]).toEqual([201, 'draft']);
    const releases = await database.query<{ id: string }>('SELECT id FROM releases WHERE org_id = $1', [org.orgId]);
    expect(releases.map((r) => r.id)).toEqual([jsonResponse.json.id]);
  });

  it('finishes the upload in flight (201 accepted, stored, one row)', async () => {
    expect([uploadResponse.status, uploadResponse.json?.status]).toEqual([201, 'accepted']);
    const uploads = await database.query<{ id: string }>('SELECT id FROM uploads WHERE org_id = $1', [org.orgId]);
    expect(uploads.map((u) => u.id)).toEqual([uploadResponse.json.id]);
    expect(filesUnder(uploadDir).filter((f) => f.startsWith('objects/'))).toHaveLength(1);
  });

  it('leaves nothing of an upload abandoned by its client during shutdown', () => {
    // Only the stalled upload's temporary file may still exist at that point.
    expect(tempFilesAfterAbandon).toHaveLength(1);
  });

  it('exits 0 within the drain deadline, cutting the stalled upload', () => {
    expect({ exit, stderr: api.stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
    expect(exitAfterMs).toBeLessThan(EXIT_WITHIN_MS);
    expect(stalledOutcome).toMatch(/^cut/);
  });

  it('leaves no temporary file of the stalled upload behind after exit', () => {
    expect(tempFiles(uploadDir)).toEqual([]);
  });
});
