// The docs stay honest (issue 18): every problem `type` the code can emit has
// its section in docs/api-guide.md (the type's fragment is the section's
// anchor), and every link in README.md and docs/*.md points at a file and
// anchor that exist, or at a public standard. No server is needed: this reads
// the sources and the Markdown.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { problemType, PROBLEM_TYPE_BASE } from '../src/platform/errors/domain-errors';
import { EVENT_TYPES } from '../src/platform/outbox/event-types';
import { anchorsOf, headings, linkTargets } from './helpers/markdown';

const ROOT = path.resolve(__dirname, '..');
const GUIDE = path.join(ROOT, 'docs', 'api-guide.md');

/** Hosts a doc may link to: published standards, nothing else leaves the repository. */
const STANDARDS_HOSTS = ['www.rfc-editor.org', 'datatracker.ietf.org', 'www.w3.org', 'spec.openapis.org', 'prometheus.io', 'github.com/standard-webhooks/standard-webhooks/'];
/** Addresses of the reader's own machine (the README's "open http://localhost:3000"). */
const LOCAL = /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sourceFiles(full);
    return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) ? [full] : [];
  });
}

const relative = (file: string) => path.relative(ROOT, file);

/**
 * Every slug the code can put in a problem's `type`: the literal arguments of
 * problemType(…) and of error-rendering's simple(…, 'slug'), and the per-status
 * defaults of domain-errors.ts (STATUS_SLUGS).
 */
function emittedSlugs(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (slug: string, where: string) => found.set(slug, [...(found.get(slug) ?? []), where]);
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/problemType\(\s*(['"`])([^'"`]*)\1\s*\)/g)) add(m[2], relative(file));
    for (const m of text.matchAll(/\bsimple\(\s*\d{3}\s*,[^;]*?,\s*'([a-z0-9-]+)'\s*\)/g)) add(m[1], relative(file));
    const statusSlugs = /const STATUS_SLUGS[^=]*=\s*\{([\s\S]*?)\};/.exec(text);
    if (statusSlugs) for (const m of statusSlugs[1].matchAll(/\d{3}:\s*'([a-z0-9-]+)'/g)) add(m[1], `${relative(file)} (STATUS_SLUGS)`);
  }
  return found;
}

/** problemType calls whose slug is not a literal, which the scan above could not see. */
function nonLiteralProblemTypes(): string[] {
  const allowed = [
    // The definition itself and the two helpers whose slugs the scan reads from their callers and STATUS_SLUGS.
    /function problemType\(slug: string\)/,
    /return problemType\(STATUS_SLUGS\[status\]/,
    /type: slug \? problemType\(slug\)/,
  ];
  const out: string[] = [];
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!/problemType\(/.test(line) || /problemType\(\s*['"`][^'"`$]*['"`]\s*\)/.test(line) || allowed.some((a) => a.test(line))) return;
        out.push(`${relative(file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return out;
}

function markdownFiles(): string[] {
  const docs = path.join(ROOT, 'docs');
  return [path.join(ROOT, 'README.md'), ...readdirSync(docs).filter((n) => n.endsWith('.md')).map((n) => path.join(docs, n))];
}

describe('docs/api-guide.md documents every problem type', () => {
  const guide = readFileSync(GUIDE, 'utf8');
  const sections = new Map(headings(guide).map((h) => [h.anchor, h.text]));
  const slugs = emittedSlugs();

  it('finds the problem types the code emits (the scan itself works)', () => {
    expect(slugs.size).toBeGreaterThanOrEqual(20);
    for (const known of ['quota-exceeded', 'validation-error', 'unauthenticated', 'malformed-body', 'release-incomplete', 'internal-error']) expect(slugs.has(known)).toBe(true);
  });

  it('passes a literal slug to every problemType(…) call, so the docs check sees it', () => {
    expect(nonLiteralProblemTypes()).toEqual([]);
  });

  it('has a section headed `<slug>` for every type, whose anchor is the type URI’s fragment', () => {
    const missing = [...slugs]
      .filter(([slug]) => sections.get(slug) !== `\`${slug}\``)
      .map(([slug, where]) => `problem type "${slug}" (${problemType(slug)}, emitted in ${[...new Set(where)].join(', ')}) has no section "#### \`${slug}\`" in docs/api-guide.md`);
    expect(missing).toEqual([]);
  });

  it('documents the type URI scheme it checks', () => {
    expect(guide).toContain(`${PROBLEM_TYPE_BASE}#<name>`);
  });
});

describe('docs/api-guide.md documents every webhook event type', () => {
  it('names each type of the event catalogue in a heading under "Event types"', () => {
    const all = headings(readFileSync(GUIDE, 'utf8'));
    const start = all.findIndex((h) => h.text === 'Event types');
    const end = all.findIndex((h, i) => i > start && h.level <= all[start].level);
    const documented = all.slice(start + 1, end < 0 ? undefined : end).flatMap((h) => [...h.text.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    expect(start).toBeGreaterThanOrEqual(0);
    const missing = EVENT_TYPES.filter((type) => !documented.includes(type)).map((type) => `event type "${type}" has no heading naming \`${type}\` under "### Event types" in docs/api-guide.md`);
    expect(missing).toEqual([]);
  });
});

describe('links in README.md and docs/*.md', () => {
  it.each(markdownFiles().map((file) => [relative(file), file]))('%s: every relative link resolves to a file and anchor; external links go only to public standards', (_name, file) => {
    const broken: string[] = [];
    for (const target of linkTargets(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        if (LOCAL.test(target)) continue;
        const rest = target.replace(/^https:\/\//, '');
        if (!target.startsWith('https://') || !STANDARDS_HOSTS.some((host) => rest.startsWith(host.includes('/') ? host : `${host}/`))) {
          broken.push(`${target}: leaves the repository (only public standards may: ${STANDARDS_HOSTS.join(', ')})`);
        }
        continue;
      }
      const [pathPart, anchor] = target.split('#', 2);
      const resolved = pathPart ? path.resolve(path.dirname(file), decodeURIComponent(pathPart)) : file;
      if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) {
        broken.push(`${target}: points outside the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        broken.push(`${target}: no such file ${relative(resolved)}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target}: ${relative(resolved)} has no anchor #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
