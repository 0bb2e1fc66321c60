// One side of bench/instructions.mjs, run under callgrind with
// instrumentation off: boots the side, warms it up (JIT, Prisma's query
// compiler, caches), collects garbage, prints READY <pid> and waits for `go`
// on stdin; the driver switches instrumentation on, and only the requests
// injected next are counted. Prints DONE, then waits for `exit`.
//
// Usage: node --expose-gc bench/instructions-target.mjs <bare|floor|musicpub> <health|read>
// with the bench's environment plus BENCH_KEY and BENCH_RELEASE_ID.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { inject } from 'light-my-request';
import { bareHandler, injectedRoutes } from './injected-routes.mjs';

const require = createRequire(import.meta.url);
const [side, routeName] = process.argv.slice(2);
const WARMUP = Number(process.env.BENCH_INSTRUCTIONS_WARMUP ?? 4000);
const REQUESTS = Number(process.env.BENCH_INSTRUCTIONS_REQUESTS ?? 1000);

const route = injectedRoutes()[routeName];
if (!route) throw new Error(`unknown route ${routeName}`);

// BENCH_INSTRUCTIONS_WITHOUT=<part,…>: musicpub with parts of its pipeline
// replaced by pass-throughs, to count what each one costs (BENCHMARKS.md).
// Measurement only: a server without them is not one to run.
const dist = (module) => require(`../dist/${module}.js`);
const pass = (_req, _res, next) => next();
const removable = {
  'rate-limit': () => (dist('platform/throttling/rate-limit.guard').RateLimitGuard.prototype.count = () => true),
  'rate-limit-fields': () => (dist('platform/throttling/rate-limit-headers').setRateLimitFields = () => undefined),
  'auth-attempts': () => (dist('platform/throttling/auth-attempt-limiter').AuthAttemptLimiter.prototype.assertAttemptAllowed = () => undefined),
  metrics: () => (dist('platform/metrics/metrics-http').requestMetrics = () => pass),
  'security-headers': () => {
    const module = dist('platform/http/security-headers');
    const securityHeaders = module.securityHeaders;
    module.securityHeaders = (options) => ({ ...securityHeaders(options), api: pass });
  },
  'request-id': () => (dist('platform/http/request-id').requestIdMiddleware = (req, _res, next) => ((req.id = 'req_bench'), next())),
  'request-logger': () => (dist('platform/logging/request-log-context').runWithRequestLogger = (_logger, next) => next()),
  'host-check': () => (dist('platform/http/request-integrity').singleHostHeader = pass),
  'key-alerts': () => (dist('platform/security-alerts/security-alerts').SecurityAlerts.prototype.keyUsed = () => Promise.resolve()),
  'last-used': () => (dist('modules/api-keys/last-used-tracker').LastUsedTracker.prototype.record = () => undefined),
  'signature-guard': () => (dist('platform/auth/signatures/request-signature.guard').RequestSignatureGuard.prototype.canActivate = () => true),
  'scopes-guard': () => (dist('platform/auth/scopes.guard').ScopesGuard.prototype.canActivate = () => true),
  'body-shape-guard': () => (dist('platform/http/json-shape').BodyShapeGuard.prototype.canActivate = () => true),
};
for (const part of (process.env.BENCH_INSTRUCTIONS_WITHOUT ?? '').split(',').filter(Boolean)) {
  if (!removable[part]) throw new Error(`BENCH_INSTRUCTIONS_WITHOUT: unknown part ${part}; known: ${Object.keys(removable).join(', ')}`);
  if (side === 'musicpub') removable[part]();
}

let handler;
let close = async () => undefined;
if (side === 'bare') {
  handler = bareHandler;
} else if (side === 'floor') {
  const { createFloorApp } = await import('./floor-server.mjs');
  const floor = await createFloorApp();
  handler = floor.app.getHttpAdapter().getInstance();
  close = floor.close;
} else if (side === 'musicpub') {
  const { createApp } = require('../dist/app.factory.js');
  const app = await createApp({ env: process.env });
  handler = app.getHttpAdapter().getInstance();
  close = () => app.close();
} else {
  throw new Error(`unknown side ${side}`);
}

async function requests(n) {
  for (let i = 0; i < n; i++) {
    const res = await inject(handler, route);
    if (res.statusCode !== 200) throw new Error(`${route.url}: ${res.statusCode} ${res.payload}`);
  }
}

const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const expect = async (word) => {
  const { value } = await commands.next();
  if (value !== word) throw new Error(`expected "${word}" from the driver, got ${JSON.stringify(value)}`);
};

await requests(WARMUP);
globalThis.gc();
globalThis.gc();
process.stdout.write(`READY ${process.pid}\n`);
await expect('go');
await requests(REQUESTS);
process.stdout.write('DONE\n');
await expect('exit');
await close();
process.exit(0);
