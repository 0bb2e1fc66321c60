// Instructions per request, counted by valgrind's callgrind
// (BENCH_ONLY=instructions; not part of the default run). On a quiet machine
// the count repeats far better than time does: runs of the same code gave
// the floor's GET within 0.7 % (five runs) and musicpub's within 2.3 % (four), where
// throughput ratios here swing by ±10 % (BENCHMARKS.md, "The request
// pipeline against its floor"). It is no shield against a busy machine: with
// the test suite running beside it, musicpub's count rose by 10 % on the GET
// and by more than half on /health/live. Time-driven work (timers, V8's
// recompilation and collection heuristics) lands on more requests when each
// takes longer. Run it alone, and compare runs made under the same load.
//
// Each side (the bare injection handler, the floor, musicpub) runs in its own
// process under callgrind (bench/instructions-target.mjs), the three at once.
// Instrumentation is off while the process boots and warms up, and on for
// exactly the measured requests, injected one at a time with light-my-request
// as in bench/where-time-goes.mjs; the bare handler's count is subtracted
// from the other two.
//
// Node runs with --predictable: V8 compiles and collects on the main thread at
// points the program's own work decides rather than the clock. Without it two
// runs of the same code differed by a third on /health/live. What is counted:
// every instruction during the measured requests, less the optimizing
// compiler's and the full (mark-compact) collections' marking and sweeping,
// reported beside the count; the scavenges each request's garbage causes stay
// in.
//
// Instructions are not time: a cache miss costs nothing here. The count tells
// how much work a request makes; the throughput rows tell what it costs on
// this machine.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const COMPILER = /v8::internal::(compiler|maglev|turboshaft)::|v8::internal::(Compiler|OptimizingCompileDispatcher|Parser|Scanner|Zone)\b/;
const MAJOR_GC = /v8::internal::(MarkCompactCollector|MarkingVisitorBase|ConcurrentMarking|MarkingWorklists|MainMarkingVisitor|Sweeper|Evacuat|FullEvacuator|MajorGC)/;

/** Whether valgrind's callgrind and its control and annotate tools are installed. */
export function callgrindAvailable() {
  try {
    for (const tool of ['valgrind', 'callgrind_control', 'callgrind_annotate']) execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Instructions per request of `route` (health or read) for the floor and
 * musicpub, the bare handler's subtracted, with what was left out of each.
 */
export async function instructionsPerRequest({ root, env, nodeArgs, route, requests = Number(process.env.BENCH_INSTRUCTIONS_REQUESTS ?? 1000) }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'musicpub-callgrind-'));
  try {
    const sides = ['bare', 'floor', 'musicpub'];
    const counts = await Promise.all(sides.map((side) => countSide({ root, env: { ...env, BENCH_INSTRUCTIONS_REQUESTS: String(requests) }, nodeArgs, route, side, dir })));
    const [bare, floor, musicpub] = counts.map((c) => ({ ...c, perRequest: c.counted / requests }));
    return {
      floor: floor.perRequest - bare.perRequest,
      musicpub: musicpub.perRequest - bare.perRequest,
      injection: bare.perRequest,
      excluded: Object.fromEntries(sides.map((side, i) => [side, { compiler: counts[i].compiler / requests, majorGc: counts[i].majorGc / requests }])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countSide({ root, env, nodeArgs, route, side, dir }) {
  const out = path.join(dir, `${side}.%p`);
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--dump-instr=no', `--callgrind-out-file=${out}`, process.execPath, ...nodeArgs, '--predictable', '--expose-gc', 'bench/instructions-target.mjs', side, route],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (prefix) => {
    const { value, done } = await lines.next();
    if (done || !value.startsWith(prefix)) throw new Error(`${side}: expected ${prefix}, got ${JSON.stringify(value)}\n${stderr}`);
    return value;
  };
  try {
    const pid = Number((await next('READY ')).split(' ')[1]);
    control(pid, '--instr=on');
    child.stdin.write('go\n');
    await next('DONE');
    control(pid, '--dump');
    control(pid, '--instr=off');
    child.stdin.write('exit\n');
    const code = await exited;
    if (code !== 0) throw new Error(`${side} exited with ${code}\n${stderr}`);
    const dump = readdirSync(dir).find((name) => name.startsWith(`${side}.${pid}.`));
    if (!dump) throw new Error(`${side}: callgrind wrote no dump`);
    return classify(path.join(dir, dump));
  } finally {
    child.kill('SIGKILL');
  }
}

function control(pid, command) {
  execFileSync('callgrind_control', [command, String(pid)], { stdio: 'ignore' });
}

/** The dump's total, its compiler and major-GC shares, and what is left: the count the rows compare. */
function classify(file) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { maxBuffer: 256 * 1024 * 1024 }).toString();
  let total = 0;
  let compiler = 0;
  let majorGc = 0;
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const value = Number(match[1].replaceAll(',', ''));
    if (match[2].includes('PROGRAM TOTALS')) total = value;
    else if (COMPILER.test(match[2])) compiler += value;
    else if (MAJOR_GC.test(match[2])) majorGc += value;
  }
  if (total === 0) throw new Error(`no totals in ${file}`);
  return { total, compiler, majorGc, counted: total - compiler - majorGc };
}
