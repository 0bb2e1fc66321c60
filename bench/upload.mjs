// Upload scenario for `npm run bench` (issues 5 and 11): a WAV of `size`
// bytes, generated as a stream (never whole in memory, on either side),
// POSTed to /v1/uploads of a server process; against the same bytes written
// to a file on the same file system by a bare Node stream in the same run.
// The server's memory is read from /proc/<pid>/status: VmRSS sampled every
// 20 ms during the upload (peak), and VmHWM (the process's high-water mark
// since it started, so it includes boot).
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK = 64 * 1024;

/** 16-bit stereo 44.1 kHz PCM: a 44-byte header, then `size - 44` bytes of (silent-ish) samples. */
export function* wavBytes(size) {
  const dataBytes = size - 44;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44100, 24);
  header.writeUInt32LE(44100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(dataBytes, 40);
  yield header;
  const block = Buffer.alloc(CHUNK, 7);
  for (let left = dataBytes; left > 0; left -= CHUNK) yield left >= CHUNK ? block : block.subarray(0, left);
}

/** Bytes of a /proc/<pid>/status field (VmRSS, VmHWM). */
export function procMemory(pid, field) {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** MB/s (10^6 bytes) of writing the WAV's bytes to a file in `dir` through a bare Node stream. */
export async function measureBareWrite({ dir, size }) {
  const file = path.join(dir, 'bare-stream.wav');
  const started = performance.now();
  await pipeline(Readable.from(wavBytes(size)), createWriteStream(file));
  const seconds = (performance.now() - started) / 1000;
  rmSync(file);
  return size / 1e6 / seconds;
}

/**
 * `server` = { url, child } started with an UPLOAD_DIR; `key` an API key with
 * uploads:write. Returns MB/s (10^6 bytes) and the server's memory in bytes.
 */
export async function measureUpload({ server, key, size }) {
  const pid = server.child.pid;
  const mb = size / 1e6;
  // "Idle" is a server that has served a request (so the database client and
  // its query compiler are loaded), not one that has only just booted.
  const warm = await fetch(`${server.url}/v1/uploads?limit=1`, { headers: { 'x-api-key': key } });
  if (warm.status !== 200) throw new Error(`upload: GET /v1/uploads answered ${warm.status}`);
  await warm.arrayBuffer();
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const idleRss = procMemory(pid, 'VmRSS');
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procMemory(pid, 'VmRSS'));
  }, 20);

  const boundary = `----musicpubbench${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = performance.now();
  let answer;
  try {
    answer = await new Promise((resolve, reject) => {
      const req = http.request(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      pipeline(
        Readable.from(
          (function* () {
            yield head;
            yield* wavBytes(size);
            yield tail;
          })(),
        ),
        req,
      ).catch(reject);
    });
  } finally {
    clearInterval(sampler);
  }
  const uploadSeconds = (performance.now() - started) / 1000;
  peakRss = Math.max(peakRss, procMemory(pid, 'VmRSS'));
  if (answer.status !== 201) throw new Error(`upload: ${answer.status} ${answer.text.slice(0, 300)}`);
  const upload = JSON.parse(answer.text);
  if (upload.size !== size) throw new Error(`upload: server stored ${upload.size} bytes, sent ${size}`);
  return {
    mb,
    status: upload.status,
    uploadMBps: mb / uploadSeconds,
    idleRss,
    peakRss,
    hwm: procMemory(pid, 'VmHWM'),
  };
}
