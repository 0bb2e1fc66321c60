// Builds (prisma generate + tsc) when dist/ is missing or older than the
// sources, so `npm start`, `npm run cli` and `npm run db:migrate` work from a
// fresh clone without a separate build step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newestMtime(entry) {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  if (path.basename(entry) === 'generated') return 0;
  return Math.max(0, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

const inputs = ['src', 'prisma/schema.prisma', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((p) => path.join(root, p));
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (built === 0 || Math.max(...inputs.filter(existsSync).map(newestMtime)) > built) {
  console.error('musicpub: building…');
  const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const args of [['scripts/prisma-generate.mjs'], ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']]) {
    const result = run(args);
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, new Date().toISOString());
}
