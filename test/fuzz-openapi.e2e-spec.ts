// Schema-driven fuzzing (issue 11): every operation of the app's own
// /openapi.json gets boundary and random inputs — path ids of another
// organization, malformed ids and raw escapes, hostile query strings and
// headers, bodies derived from the request schema with fields missing, of the
// wrong type, extra, huge, null or full of NUL and lone surrogates, broken
// JSON, odd media types, malformed multipart — sent byte for byte with a key
// holding every scope. For every answer:
//   - never a 5xx;
//   - every 4xx is problem+json with status, title and the requestId (the
//     token endpoint answers OAuth's JSON instead, RFC 6749 §5.2);
//   - an id of the other organization never gets a 2xx nor its data;
//   - a refused request changes no row of any table (audit_events excepted:
//     refusals are audited, API guide: Audit trail) — checked with a content fingerprint of
//     every table after each refused write, and after each batch of reads.
// Deterministic: FUZZ_SEED (default below) drives every choice and is printed
// with each failure; FUZZ_CASES sets the random cases per operation;
// FUZZ_REPORT=<file> writes every failure there (the assertion shows 60).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caseSummary, FuzzCase, OpenApiFuzzCases, PREFIX, resourceOf } from './helpers/openapi-fuzz-cases';
import { fetchOpenApi, OpenApiDocument, Operation, operationsOf } from './helpers/openapi-operations';
import { leaksIn, problemJsonViolations } from './helpers/problem-json';
import { RawAnswer, sendRaw } from './helpers/raw-http';
import { SeededTenant, seedTenant } from './helpers/security-tenant';
import { fingerprintChanges, tableFingerprint, type Fingerprint } from './helpers/table-fingerprint';
import { startTestApp, TestApp } from './helpers/test-app';
import { listen } from './helpers/upload-requests';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RANDOM_CASES = Number(process.env.FUZZ_CASES ?? 6);
/** A guard for a loaded machine: past it, the remaining operations get their boundary cases only. */
const RANDOM_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 20_000);

describe('Schema-driven fuzzing of every documented operation', () => {
  let t: TestApp;
  let baseUrl: string;
  let uploadDir: string;
  let us: SeededTenant;
  let them: SeededTenant;
  let doc: OpenApiDocument;
  let cases: OpenApiFuzzCases;

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-fuzz-'));
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, WEBHOOK_WORKERS: '0', WEBHOOK_TIMEOUT_MS: '1000', UPLOAD_MAX_BYTES: String(4 * 1024 * 1024) } });
    baseUrl = await listen(t);
    us = await seedTenant(t, 'us');
    them = await seedTenant(t, 'them');
    doc = await fetchOpenApi(t);
    cases = new OpenApiFuzzCases(doc, us, them);
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploadDir, { recursive: true, force: true });
  });

  // ── judging answers ──────────────────────────────────────────────────────

  function verdicts(op: Operation, c: FuzzCase, res: RawAnswer): string[] {
    const out: string[] = [];
    if (res.status >= 500) out.push(`answered ${res.status}: ${res.text.slice(0, 300)}`);
    if (!res.headers['x-request-id']) out.push('no X-Request-Id');
    if (res.status >= 400 && res.status < 500) {
      // RFC 6749 §5.2 errors from the token endpoint; what fails before it (body parsing, headers) may be problem+json.
      const oauthAnswer = op.path === '/v1/oauth/token' && (res.status === 400 || res.status === 401) && !/problem\+json/.test(String(res.headers['content-type']));
      if (oauthAnswer) {
        const body = res.body as { error?: unknown } | undefined;
        if (typeof body?.error !== 'string') out.push(`OAuth error without "error": ${res.text.slice(0, 200)}`);
        for (const leak of leaksIn(res.text)) out.push(`leaks a ${leak}`);
      } else {
        out.push(...problemJsonViolations(res));
      }
    }
    if (c.path.kind === 'foreign' && op.path.includes('{') && res.status < 300) out.push(`another organization's id got ${res.status}`);
    if (res.text.includes(them.orgId) || (c.path.kind !== 'foreign' && res.text.includes(them.releaseId))) out.push("the other organization's data is in the answer");
    return out;
  }

  it('answers every case without a 5xx, with problem+json, within the tenant, and changes nothing when it refuses', async () => {
    const failures: string[] = [];
    const tally: Record<string, number> = {};
    const skippedRandom: string[] = [];
    const operations = operationsOf(doc);
    let baseline: Fingerprint = await tableFingerprint(t);
    const started = Date.now();

    for (const [index, op] of operations.entries()) {
      const withinBudget = Date.now() - started < RANDOM_BUDGET_MS;
      if (!withinBudget) skippedRandom.push(`${op.method.toUpperCase()} ${op.path}`);
      for (const [n, c] of cases.casesFor(op, SEED + index, withinBudget ? RANDOM_CASES : 0).entries()) {
        const request = cases.requestFor(op, c);
        const label = `${op.method.toUpperCase()} ${op.path} case ${n} (${caseSummary(c)}) → ${request.method} ${request.path.slice(0, 160)}`;
        let res: RawAnswer;
        try {
          res = await sendRaw(baseUrl, request);
        } catch (error) {
          failures.push(`${label}: no answer (${(error as Error).message})`);
          continue;
        }
        tally[res.status] = (tally[res.status] ?? 0) + 1;
        for (const problem of verdicts(op, c, res)) failures.push(`${label}: ${problem}`);
        if (op.method === 'get') continue;
        const after = await tableFingerprint(t);
        const changed = fingerprintChanges(baseline, after);
        if (res.status >= 400 && changed.length) failures.push(`${label}: refused with ${res.status} but changed ${changed.join(', ')}`);
        baseline = after;
      }
      if (op.method === 'get') {
        const after = await tableFingerprint(t);
        const changed = fingerprintChanges(baseline, after);
        if (changed.length) failures.push(`GET ${op.path}: reads changed ${changed.join(', ')}`);
        baseline = after;
      }
    }

    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, `${failures.join('\n')}\n`);
    const summary =
      `FUZZ_SEED=${SEED} FUZZ_CASES=${RANDOM_CASES}: ${Object.values(tally).reduce((a, b) => a + b, 0)} requests over ${operations.length} operations ` +
      `in ${Date.now() - started} ms; statuses ${JSON.stringify(tally)}` +
      (skippedRandom.length ? `; over the ${RANDOM_BUDGET_MS} ms budget, no random cases for ${skippedRandom.length} operations` : '');
    expect({ summary, failures: failures.slice(0, 60), failureCount: failures.length }).toEqual({ summary, failures: [], failureCount: 0 });
  }, 180_000);

  it('knows the resource behind every path parameter of the document (a new route needs an entry in resourceOf)', () => {
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(35);
    for (const op of operations) for (const [, name] of op.path.matchAll(/\{(\w+)\}/g)) expect(PREFIX[resourceOf(op.path, name)]).toBeDefined();
  });
});
