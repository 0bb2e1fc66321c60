// What the in-process harnesses (bench/where-time-goes.mjs,
// bench/instructions-target.mjs) inject, from the environment bench/run.mjs
// gives them (BENCH_KEY, BENCH_RELEASE_ID), and the handler whose cost is
// subtracted from both sides.

/** The routes measured in-process, by the names BENCH_CPU_ROUTES and the instructions scenario use. */
export function injectedRoutes(env = process.env) {
  return {
    health: { method: 'GET', url: '/health/live' },
    read: { method: 'GET', url: `/v1/releases/${env.BENCH_RELEASE_ID}`, headers: { 'x-api-key': env.BENCH_KEY } },
  };
}

/**
 * What injecting costs by itself (light-my-request's fake request and
 * response), measured on a handler that only answers; subtracted from both.
 */
export function bareHandler(_req, res) {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end('{"status":"ok"}');
}
