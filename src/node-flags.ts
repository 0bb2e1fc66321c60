/**
 * V8 settings the server runs with, whoever starts it (`npm start`, `node
 * dist/main.js`, a container's CMD).
 *
 * --max-semi-space-size=2 (MiB): a streamed upload turns every request-body
 * chunk into garbage at once, and V8 lets its young generation grow to 16 MiB
 * per semi-space (plus the to-space and the pages it keeps) before it
 * collects: on a 600 MB upload that young garbage alone put the process at
 * 252–267 MB RSS. Capped at 2 MiB, scavenges run more often over a smaller
 * space, the peak stays under 250 MB, and upload throughput went up, not
 * down (BENCHMARKS.md).
 */
export const TUNED_NODE_FLAGS = ['--max-semi-space-size=2'];

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

/** The tuned flags that neither `execArgv` nor NODE_OPTIONS sets (V8 accepts `_` for `-` in names). */
export function missingTunedFlags(execArgv: string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map((arg) => arg.replace(/_/g, '-'));
  return TUNED_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0];
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}
