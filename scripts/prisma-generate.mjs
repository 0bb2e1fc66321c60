// Generates the Prisma client into src/generated/prisma.
//
// Prisma 7's CLI fetches its Rust schema engine on every command, even though
// `generate` never uses it. Where that download cannot happen (offline, CI
// sandboxes), pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets
// `generate` run. We set it for this one command only: `prisma migrate` on a
// networked machine must still find the real engine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, 'package.json');
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';

const prismaBin = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [prismaBin, 'generate'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
if (result.status !== 0) {
  process.stdout.write(result.stdout ?? '');
  process.exit(result.status ?? 1);
}
