import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layering rule: cross-cutting machinery in src/platform never depends on
 * a feature in src/modules (features plug into the platform through
 * interfaces and injection tokens, e.g. CREDENTIAL_AUTHENTICATOR).
 */
const PLATFORM = path.join(__dirname);
const MODULES = path.resolve(__dirname, '..', 'modules');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importedPaths(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.filter((s) => s.startsWith('.'));
}

describe('src/platform', () => {
  it('imports nothing from src/modules', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(PLATFORM)) {
      for (const specifier of importedPaths(readFileSync(file, 'utf8'))) {
        const target = path.resolve(path.dirname(file), specifier);
        if (target === MODULES || target.startsWith(MODULES + path.sep)) offenders.push(`${path.relative(PLATFORM, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps its errors at the bottom: src/platform/errors imports no other part of the platform but the database error classifier', () => {
    const ERRORS = path.join(PLATFORM, 'errors');
    const allowed = new Set([ERRORS, path.join(PLATFORM, 'database', 'database-errors')]);
    const offenders: string[] = [];
    for (const file of sourceFiles(ERRORS)) {
      for (const specifier of importedPaths(readFileSync(file, 'utf8'))) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!allowed.has(target) && !target.startsWith(ERRORS + path.sep)) offenders.push(`${path.relative(PLATFORM, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('would see such an import (the check itself works)', () => {
    expect(importedPaths(`import { X } from '../../modules/api-keys/x';\nconst y = require('./y');`)).toEqual(['../../modules/api-keys/x', './y']);
  });
});
