// What every error answer must look like (API guide: Conventions, RFC 9457): checked as a
// list of violations rather than thrown, so a fuzzer can gather every broken
// answer of a run before failing.
/** What the checks need of an answer: supertest's Response and raw-http's RawAnswer both have it. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** Traces of internals a client must never see: stack frames, file paths, SQL, driver and ORM messages. */
const LEAKS: Array<[string, RegExp]> = [
  ['stack frame', /\bat [\w.<>$]+ \(.*:\d+:\d+\)|\n\s+at /],
  ['file path', /(?:\/work\/|\/home\/|\/usr\/|node_modules|\/src\/[\w/-]+\.(?:ts|js)|[\w-]+\.ts:\d+)/],
  ['SQL', /\b(?:SELECT\s.+\sFROM|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|syntax error at or near|violates (?:unique|foreign key|check) constraint|invalid byte sequence)\b/i],
  ['ORM/driver message', /\b(?:prisma|PrismaClient|P20\d\d|ECONNREFUSED|pg_|SQLSTATE)\b/],
  ['JavaScript error name', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError): /],
];

export function leaksIn(text: string): string[] {
  return LEAKS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/**
 * Every way `res` falls short of a problem+json error answer; empty when it is
 * one. `echoed` is text of the client's own request the answer may repeat
 * (a 404 names the path it did not find), left out of the leak scan.
 */
export function problemJsonViolations(res: HttpAnswer, echoed?: string): string[] {
  const out: string[] = [];
  const contentType = String(res.headers['content-type'] ?? '');
  if (!/^application\/problem\+json\b/.test(contentType)) out.push(`Content-Type is "${contentType}", not application/problem+json`);
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    out.push('body is not JSON');
  }
  if (body) {
    if (body.status !== res.status) out.push(`body.status ${String(body.status)} ≠ HTTP status ${res.status}`);
    if (typeof body.title !== 'string' || body.title.length === 0) out.push('no title');
    if (typeof body.type !== 'string') out.push('no type');
    if (typeof body.requestId !== 'string' || body.requestId !== res.headers['x-request-id']) out.push('requestId missing or not the X-Request-Id');
    if (body.errors !== undefined && !(Array.isArray(body.errors) && body.errors.every((e) => typeof e?.field === 'string' && typeof e?.message === 'string'))) {
      out.push('errors[] is not a list of { field, message }');
    }
  }
  const scanned = echoed ? (res.text ?? '').split(echoed).join('') : (res.text ?? '');
  for (const leak of leaksIn(scanned)) out.push(`leaks a ${leak}`);
  return out;
}

/** Jest assertion form of problemJsonViolations, with the status when given. */
export function expectProblemJson(res: HttpAnswer, status?: number, echoed?: string): Record<string, any> {
  expect({ status: res.status, violations: problemJsonViolations(res, echoed) }).toEqual({ status: status ?? res.status, violations: [] });
  return JSON.parse(res.text) as Record<string, any>;
}
