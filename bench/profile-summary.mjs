// Where time goes in a V8 CPU profile (`BENCH_PROFILE_DIR=<dir>` makes every
// bench server write one): self time summed by package (or by file of this
// project), then the heaviest functions.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25] [last seconds]
// With `last`, only the samples of the profile's last seconds count (e.g. the
// load window of a server stopped right after its scenario), not its startup.
import { readFileSync } from 'node:fs';

const [file, topArg, lastArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top] [last seconds]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

const self = new Map();
const dt = profile.timeDeltas;
const from = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += dt[i] ?? 0;
  if (at >= from) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
}

function where(url) {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const own = /\/(dist|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

let total = 0;
const byWhere = new Map();
const byFunction = new Map();
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  if (us === 0) continue;
  total += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const w = ['(idle)', '(program)', '(garbage collector)'].includes(functionName) ? functionName : where(url);
  byWhere.set(w, (byWhere.get(w) ?? 0) + us);
  const f = `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + us);
}
const idle = byWhere.get('(idle)') ?? 0;
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy)`);
for (const [w, us] of [...byWhere].filter(([w]) => w !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${w}`);
console.log('--- functions');
for (const [f, us] of [...byFunction].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);
