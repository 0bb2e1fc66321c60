/**
 * V8 settings the server runs with, whoever starts it (`npm start`, `node
 * dist/main.js`, a container's CMD).
 *
 * --max-semi-space-size=8 (MiB): the young generation, once grown under load,
 * stays committed, two semi-spaces of it, and a 600 MB upload's peak RSS
 * (< 250 MB on both storage backends) is that idle size plus the upload's
 * buffers. V8's own sizing (up to 64 MiB per semi-space on a 24 GiB host) and
 * a 16 MiB cap both took an S3 upload past 250 MB in some runs; at 8, over
 * five runs, S3 uploads idled at 188–206 MiB and peaked at 211–223 (234 MB). Much
 * smaller is slow: at 2 MiB, 16 concurrent requests keep most of the young
 * generation alive, it is scavenged every dozen requests, and reads and
 * writes lost 15–20 % of their throughput. 16 was measured twice against 8:
 * idempotent POSTs ran 10–20 % faster on an Intel Xeon, reads and POSTs
 * 5–10 % slower on an AMD EPYC (BENCHMARKS.md, "The young generation, third
 * look" and "Startup garbage").
 * Upload bodies, which used to need the 2 MiB cap, are collected by
 * platform/memory/off-heap-garbage.ts.
 */
export const TUNED_NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * V8 reads its heap limits once, at startup, so a process started without
 * the flags cannot take them afterwards: it replaces itself (execve(2): same
 * pid, same standard streams, same signals; nothing of the app has been
 * loaded yet) with Node run with the flags and the same script, arguments
 * and environment. Returns normally when there is nothing to do: the flags
 * are already given (on the command line or in NODE_OPTIONS — an operator's
 * own value wins), MUSICPUB_NODE_FLAGS=off, or the platform has no execve.
 */
export function applyTunedNodeFlags(): void {
  if (process.env.MUSICPUB_NODE_FLAGS?.trim() === 'off' || typeof process.execve !== 'function') return;
  const missing = missingTunedFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length === 0) return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], process.env);
}

/** The tuned flags that neither `execArgv` nor NODE_OPTIONS sets. */
export function missingTunedFlags(execArgv: string[], nodeOptions: string | undefined): string[] {
  return TUNED_NODE_FLAGS.filter((flag) => !nodeFlagGiven(flag.split('=')[0], execArgv, nodeOptions));
}

/** Whether the process was given the flag `name` (`--name` or `--name=…`), on the command line or in NODE_OPTIONS; V8 accepts `_` for `-` in names. */
export function nodeFlagGiven(name: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => {
    const spelled = arg.replace(/_/g, '-');
    return spelled === name || spelled.startsWith(`${name}=`);
  });
}
