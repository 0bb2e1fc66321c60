// CPU time per request inside the server, without sockets: musicpub and the
// floor (bench/floor-server.mjs) in this one process, each request injected
// into the Express app with light-my-request, one at a time. On a shared
// machine this moves far less than throughput does (no scheduling between
// server, load generator and database decides it), so it tells what the
// pipeline itself costs per request. Run by bench/run.mjs (BENCH_ONLY=cpu),
// which passes DATABASE_URL etc., BENCH_KEY and BENCH_RELEASE_ID, and
// --expose-gc: both apps share one heap, so every block of requests starts
// after a full collection, and no side pays for collecting the other's
// garbage. Each side's figure is the median of ROUNDS blocks, minus the
// median of the bare handler's: on /health/live the floor costs about what
// injecting does, and the mean of a few long blocks moved by a factor of
// ten between runs (a collection landing in one block or the next).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import { inject } from 'light-my-request';
import { createFloorApp } from './floor-server.mjs';
import { bareHandler, injectedRoutes } from './injected-routes.mjs';

const require = createRequire(import.meta.url);
const { createApp } = require('../dist/app.factory.js');

const N = Number(process.env.BENCH_CPU_REQUESTS ?? 4000);

const musicpub = await createApp({ env: process.env });
const floor = await createFloorApp();
const handlers = { musicpub: musicpub.getHttpAdapter().getInstance(), floor: floor.app.getHttpAdapter().getInstance(), bare: bareHandler };
const routes = injectedRoutes();

const ROUNDS = 12;
const ALLOCATION_REQUESTS = 2000;
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function cpuPerRequest(handler, route, n) {
  globalThis.gc?.();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const res = await inject(handler, route);
    if (res.statusCode !== 200) throw new Error(`${route.url}: ${res.statusCode} ${res.payload}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

// Bytes allocated per request, from V8's sampling heap profiler with the
// objects either collector freed counted too: what the young generation has
// to absorb. Unlike CPU time it hardly moves between runs (±1 %), so it tells
// whether a change to the pipeline allocates less even where the noise of a
// shared machine hides its CPU time.
const profiler = new Session();
profiler.connect();
await profiler.post('HeapProfiler.enable');
async function bytesPerRequest(handler, route, n) {
  await profiler.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < n; i++) await inject(handler, route);
  const { profile } = await profiler.post('HeapProfiler.stopSampling');
  let bytes = 0;
  const walk = (node) => {
    bytes += node.selfSize;
    node.children.forEach(walk);
  };
  walk(profile.head);
  return bytes / n;
}

// BENCH_CPU_PROFILE_DIR=<dir>: a V8 CPU profile of the same number of
// requests on each side, <route>-<side>.cpuprofile, so
// bench/profile-summary.mjs shows per package what musicpub spends beyond
// the floor (a server profile under load mixes in the load's own pace).
const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
async function writeCpuProfile(handler, route, n, file) {
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  globalThis.gc?.();
  await profiler.post('Profiler.start');
  for (let i = 0; i < n; i++) await inject(handler, route);
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
}

const result = {};
for (const name of (process.env.BENCH_CPU_ROUTES ?? 'health,read').split(',')) {
  const route = routes[name];
  // Warm-up (JIT, caches), then alternate to spread any drift over both.
  for (const side of ['bare', 'floor', 'musicpub']) await cpuPerRequest(handlers[side], route, Math.ceil(N / 4));
  const blocks = { bare: [], floor: [], musicpub: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 ? ['musicpub', 'floor', 'bare'] : ['bare', 'floor', 'musicpub']) blocks[side].push(await cpuPerRequest(handlers[side], route, Math.ceil(N / ROUNDS)));
  }
  const injection = median(blocks.bare);
  if (profileDir) for (const side of ['floor', 'musicpub']) await writeCpuProfile(handlers[side], route, N, `${profileDir}/${name}-${side}.cpuprofile`);
  const bytes = {};
  for (const side of ['bare', 'floor', 'musicpub']) bytes[side] = await bytesPerRequest(handlers[side], route, ALLOCATION_REQUESTS);
  result[name] = {
    floor: median(blocks.floor) - injection,
    musicpub: median(blocks.musicpub) - injection,
    injection,
    bytes: { floor: bytes.floor - bytes.bare, musicpub: bytes.musicpub - bytes.bare, injection: bytes.bare },
  };
}
await musicpub.close();
await floor.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
