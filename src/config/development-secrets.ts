import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Outside production, secrets left unset are generated once and kept in
 * `.data/dev-secrets.json` (mode 600), so the API and the CLI — separate
 * processes — agree on the pepper that hashes API keys, the key that
 * encrypts stored secrets and the key of the audit chain's HMAC (which must
 * outlive restarts, or the trail written before one would stop verifying).
 * Production never reaches this: AppConfig demands real values there.
 */
const DEV_SECRET_NAMES = ['API_KEY_PEPPER', 'ENCRYPTION_KEY', 'AUDIT_HMAC_KEY'] as const;

export function applyDevelopmentSecrets(env: NodeJS.ProcessEnv, dataDir = path.resolve('.data')): void {
  if (env.NODE_ENV === 'production') return;
  const missing = DEV_SECRET_NAMES.filter((name) => !env[name]?.trim());
  if (missing.length === 0) return;

  const file = path.join(dataDir, 'dev-secrets.json');
  let stored: Record<string, string> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  let changed = false;
  for (const name of missing) {
    if (!stored[name]) {
      stored[name] = randomBytes(32).toString('base64');
      changed = true;
    }
    env[name] = stored[name];
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
}
