// An S3-protocol server for the tests that run uploads on UPLOAD_STORAGE=s3:
// fauxqs (an S3/SQS/SNS emulator from npm, objects in memory), started by the
// test in a child process on 127.0.0.1 (s3-server-process.mjs), behind a small recording proxy that the app talks to. The proxy
// keeps every request's method, path, query and headers (to check what the
// app asked for: server-side encryption, aborted multipart uploads) and can
// fail chosen requests (to check retries).
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface RecordedS3Request {
  method: string;
  /** The path without the bucket, i.e. the object key (empty for bucket requests). */
  key: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export interface TestS3 {
  /** The settings an app needs to use this server (UPLOAD_STORAGE=s3 …). */
  env: Record<string, string>;
  bucket: string;
  /** Every request the proxy has forwarded (or failed), in order. */
  requests: RecordedS3Request[];
  /** Answers the next `times` requests that match with `status` (an S3 error) instead of forwarding them. */
  fail(match: (request: RecordedS3Request) => boolean, times: number, status?: number): void;
  /** The keys in the bucket, sorted. */
  keys(): Promise<string[]>;
  /** Multipart uploads created and neither completed nor aborted. */
  openMultipartUploads(): string[];
  /** Empties the bucket and forgets the recorded requests. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

let sequence = 0;

export async function startTestS3(): Promise<TestS3> {
  // fauxqs checks no signatures, but the SDK's credential chain needs something to sign with.
  process.env.AWS_ACCESS_KEY_ID ??= 'musicpub-test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'musicpub-test-secret';
  const fauxqs = await startS3Process();
  const bucket = `musicpub-test-${process.pid}-${++sequence}`;
  const upstream = new URL(fauxqs.address);

  const requests: RecordedS3Request[] = [];
  const failures: Array<{ match: (request: RecordedS3Request) => boolean; left: number; status: number }> = [];
  const created = new Set<string>();
  const finished = new Set<string>();

  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const key = decodeURIComponent(url.pathname.replace(/^\/[^/]+\/?/, ''));
    const recorded: RecordedS3Request = { method: req.method ?? 'GET', key, query: url.searchParams, headers: req.headers };
    requests.push(recorded);
    const uploadId = url.searchParams.get('uploadId');
    if (uploadId && (req.method === 'DELETE' || req.method === 'POST')) finished.add(uploadId);

    const failure = failures.find((f) => f.left > 0 && f.match(recorded));
    if (failure) {
      failure.left--;
      req.resume();
      res.writeHead(failure.status, { 'Content-Type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>Injected by the test</Message></Error>`);
      return;
    }
    // This server already answered `Expect: 100-continue`; the body follows at once.
    const { expect: _expect, ...headers } = req.headers;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        if (req.method === 'POST' && url.searchParams.has('uploads')) {
          // CreateMultipartUpload: note the id (the response is a few hundred bytes).
          const chunks: Buffer[] = [];
          upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
          upstreamRes.on('end', () => {
            const body = Buffer.concat(chunks);
            const id = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString('utf8'))?.[1];
            if (id) created.add(id);
            res.end(body);
          });
        } else {
          upstreamRes.pipe(res);
        }
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const client = new S3Client({ endpoint: fauxqs.address, region: 'us-east-1', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  };

  return {
    env: { UPLOAD_STORAGE: 's3', S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true' },
    bucket,
    requests,
    fail(match, times, status = 503) {
      failures.push({ match, left: times, status });
    },
    keys,
    openMultipartUploads: () => [...created].filter((id) => !finished.has(id)),
    async reset() {
      const all = await keys();
      if (all.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: all.map((Key) => ({ Key })) } }));
      requests.length = 0;
    },
    async stop() {
      client.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await fauxqs.stop();
    },
  };
}

/** Starts s3-server-process.mjs and resolves with its address once it listens. */
export async function startS3Process(s3StorageDir?: string): Promise<{ address: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, 's3-server-process.mjs'), ...(s3StorageDir ? [s3StorageDir] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the S3 test server exited (${code}) before listening`)));
  });
  const { address } = JSON.parse(line) as { address: string };
  return {
    address,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
