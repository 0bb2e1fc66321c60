// Upload storage scenario for `npm run bench` (issue 16): the 600 MB WAV
// upload on both storage backends, each against a bare Node stream of the
// same bytes to the same target in the same run:
//   - local disk: POST /v1/uploads with UPLOAD_STORAGE=local, against a bare
//     stream into a file on the same file system;
//   - S3: POST /v1/uploads with UPLOAD_STORAGE=s3 on an S3-protocol server
//     (fauxqs, objects on disk, in a process of its own on 127.0.0.1), against
//     a bare stream into the same bucket through the same multipart writer
//     (no HTTP API, no hashing, no inspection, no database);
//   - S3 again on a server that has first answered reads for a while (16
//     connections, BENCH_DURATION seconds), as a server in service has.
// Each upload runs on a fresh server, started the way `npm start` starts it
// (its own start path tunes V8's young generation; see src/node-flags.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { measureBareWrite, measureUpload, wavBytes } from './upload.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** fauxqs in its own process (test/helpers/s3-server-process.mjs), objects under `dir`. */
async function startS3Server(dir) {
  const child = spawn(process.execPath, [path.join(root, 'test/helpers/s3-server-process.mjs'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the S3 server exited (${code})`)));
  });
  const { address } = JSON.parse(line);
  return {
    address,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

/** MB/s of the bare stream into the bucket, through the app's own multipart writer. */
async function measureBareS3Write({ s3Env, size }) {
  const { createS3Client, partSizeFor, S3UploadStorage } = require(path.join(root, 'dist/modules/uploads/storage/s3-upload-storage.js'));
  const { CreateBucketCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3');
  const client = createS3Client({ region: s3Env.S3_REGION, endpoint: s3Env.S3_ENDPOINT, forcePathStyle: true });
  try {
    await client.send(new CreateBucketCommand({ Bucket: s3Env.S3_BUCKET }));
    const storage = new S3UploadStorage(client, { bucket: s3Env.S3_BUCKET, keyPrefix: '', sse: 'AES256', sseKmsKeyId: undefined, partSize: partSizeFor(2 * size) });
    const started = performance.now();
    const staged = storage.stage('bare_stream');
    await pipeline(Readable.from(wavBytes(size)), staged.writable);
    await staged.commit();
    const seconds = (performance.now() - started) / 1000;
    await client.send(new DeleteObjectCommand({ Bucket: s3Env.S3_BUCKET, Key: 'bare_stream' }));
    return size / 1e6 / seconds;
  } finally {
    client.destroy();
  }
}

/** `GET url` from 16 connections for `duration` seconds; every answer must be a 200. */
function readLoad({ url, headers, duration }) {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, connections: 16, duration }, (error, result) => {
      if (error) return reject(error);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0) return reject(new Error(`reads before the upload: ${bad} failed responses`));
      resolve();
    });
  });
}

/**
 * Rows for bench/run.mjs's upload table. `startServer(env)` / `stopServer(server)`
 * are run.mjs's; `env` holds the database and secrets, `key` an API key,
 * `duration` the seconds of the reads before the last upload.
 */
export async function uploadStorageScenario({ env, key, size, duration, startServer, stopServer }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'musicpub-bench-storage-'));
  const rows = [];
  const mbLabel = `${(size / 1e6).toFixed(0)} MB WAV`;
  const uploadOn = async (title, serverEnv, bare, against, { readsFirst = false } = {}) => {
    const server = await startServer({ ...env, ...serverEnv, UPLOAD_DIR: path.join(dir, 'uploads'), UPLOAD_MAX_BYTES: String(2 * size) });
    try {
      if (readsFirst) await readLoad({ url: `${server.url}/v1/uploads?limit=1`, headers: { 'x-api-key': key }, duration });
      const r = await measureUpload({ server, key, size });
      rows.push({ title: `${title}, ${mbLabel} (${r.status})`, mbps: r.uploadMBps, baseline: bare, against, idleRss: r.idleRss, peakRss: r.peakRss, hwm: r.hwm });
    } finally {
      await stopServer(server);
    }
  };
  try {
    const bareFile = await measureBareWrite({ dir, size });
    rows.push({ title: 'bare Node stream → file (baseline, local disk)', mbps: bareFile, baseline: bareFile, against: 'itself' });
    await uploadOn('POST /v1/uploads, UPLOAD_STORAGE=local', { UPLOAD_STORAGE: 'local' }, bareFile, 'bare stream → file');

    const s3 = await startS3Server(path.join(dir, 's3'));
    try {
      const s3Env = {
        UPLOAD_STORAGE: 's3',
        S3_BUCKET: 'musicpub-bench',
        S3_ENDPOINT: s3.address,
        S3_REGION: 'us-east-1',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'musicpub-bench',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'musicpub-bench-secret',
      };
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3Env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: s3Env.AWS_SECRET_ACCESS_KEY });
      const bareS3 = await measureBareS3Write({ s3Env, size });
      rows.push({ title: 'bare Node stream → S3 multipart upload (baseline, same bucket)', mbps: bareS3, baseline: bareS3, against: 'itself' });
      await uploadOn('POST /v1/uploads, UPLOAD_STORAGE=s3', s3Env, bareS3, 'bare stream → bucket');
      await uploadOn(`POST /v1/uploads, UPLOAD_STORAGE=s3, after ${duration} s of reads`, s3Env, bareS3, 'bare stream → bucket', { readsFirst: true });
    } finally {
      await s3.stop();
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
