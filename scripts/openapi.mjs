// The OpenAPI document, from the built server without a database:
//   node scripts/openapi.mjs json           print it (npm run openapi:json)
//   node scripts/openapi.mjs lint           lint it with Redocly's recommended rules (npm run openapi:lint)
//   node scripts/openapi.mjs client-types   regenerate clients/typescript/src/api-types.ts (npm run client:types)
// Run through the npm scripts, which build first when the sources changed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { openApiDocument } = require(path.join(root, 'dist', 'openapi-document.js'));

const command = process.argv[2];
const document = await openApiDocument();
switch (command) {
  case 'json':
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    break;
  case 'lint': {
    const dir = mkdtempSync(path.join(tmpdir(), 'musicpub-openapi-'));
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    const cli = path.join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const result = spawnSync(process.execPath, [cli, 'lint', '--config', path.join(root, 'redocly.yaml'), file], {
      stdio: 'inherit',
      // Offline and quiet: no usage reports, no new-version check.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
    });
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = result.status ?? 1;
    break;
  }
  case 'client-types': {
    const { generateApiTypes } = require(path.join(root, 'clients', 'typescript', 'scripts', 'api-types.js'));
    const target = path.join(root, 'clients', 'typescript', 'src', 'api-types.ts');
    writeFileSync(target, await generateApiTypes(document));
    console.log(`wrote ${path.relative(root, target)}`);
    break;
  }
  default:
    console.error('usage: node scripts/openapi.mjs json|lint|client-types');
    process.exitCode = 2;
}
