// Test cases for the schema-driven fuzzer (test/fuzz-openapi.e2e-spec.ts):
// for one operation of the OpenAPI document, the boundary cases (every
// catalogued hostile value that applies) and seeded random ones, and the raw
// request each case stands for. Ids come from two seeded tenants: `us` (whose
// key sends every request) and `them` (the other organization).
import fc from 'fast-check';
import { newId, type IdPrefix } from '../../src/platform/ids';
import { png, wav } from './audio-fixtures';
import {
  BROKEN_JSON,
  CONTENT_TYPES,
  FORBIDDEN_PROPERTIES,
  HEADER_CASES,
  MALFORMED_IDS,
  QUERY_CASES,
  RAW_SEGMENTS,
  hostileValuesFor,
  multipartBody,
} from './fuzz-inputs';
import { sampleOf, type OpenApiDocument, type Operation } from './openapi-operations';
import { partnerCallbackHeaders } from './partner-callback-headers';
import type { RawRequest } from './raw-http';
import { PUBLIC_WEBHOOK_URL, type SeededTenant } from './security-tenant';

/** Sampled hostile values per body property, beyond the three always tried. */
const HOSTILE_VALUES_PER_PROPERTY = 2;

export type Resource = 'release' | 'track' | 'upload' | 'key' | 'endpoint' | 'message' | 'partner';
export const PREFIX: Record<Resource, IdPrefix> = { release: 'rel', track: 'trk', upload: 'upl', key: 'key', endpoint: 'we', message: 'msg', partner: 'ptn' };

/** Which resource a path parameter names. */
export function resourceOf(template: string, name: string): Resource {
  if (name === 'releaseId') return 'release';
  if (name === 'trackId') return 'track';
  if (name === 'partnerId') return 'partner';
  const byPrefix: Array<[string, Resource]> = [
    ['/v1/releases', 'release'],
    ['/v1/uploads', 'upload'],
    ['/v1/api-keys', 'key'],
    ['/v1/webhook-endpoints', 'endpoint'],
    ['/v1/webhook-messages', 'message'],
  ];
  const found = byPrefix.find(([prefix]) => template.startsWith(prefix));
  if (!found) throw new Error(`fuzzer: no resource known for {${name}} in ${template}; add it to resourceOf`);
  return found[1];
}

function idsOf(tenant: SeededTenant): Record<Resource, string> {
  // The spare key stands in for "a key": the fuzzing key must not revoke or rotate itself away.
  return { release: tenant.releaseId, track: tenant.trackId, upload: tenant.uploadId, key: tenant.spareKeyId, endpoint: tenant.endpointId, message: tenant.messageId, partner: tenant.partnerId };
}

export type PathVariant = { kind: 'own' } | { kind: 'foreign' } | { kind: 'unknown' } | { kind: 'malformed'; value: string } | { kind: 'raw'; segment: string };

export type BodyVariant =
  | { kind: 'none' }
  | { kind: 'sample' }
  | { kind: 'missing'; property: string }
  | { kind: 'hostile'; property: string; value: unknown }
  | { kind: 'extra'; property: string; value: unknown }
  | { kind: 'broken'; text: string }
  | { kind: 'contentType'; contentType: string }
  | { kind: 'oversized' }
  | { kind: 'form'; text: string }
  | { kind: 'multipart'; label: string; build: () => { contentType: string; body: Buffer } };

export interface FuzzCase {
  path: PathVariant;
  query?: string;
  headers?: Record<string, string>;
  body: BodyVariant;
}

export class OpenApiFuzzCases {
  constructor(
    private readonly doc: OpenApiDocument,
    private readonly us: SeededTenant,
    private readonly them: SeededTenant,
  ) {}

  /** The boundary cases of `op`, then `randomCount` random ones drawn with `seed`; none aimed at deleting the fixtures. */
  casesFor(op: Operation, seed: number, randomCount: number): FuzzCase[] {
    const random = randomCount > 0 ? fc.sample(this.randomCase(op), { seed, numRuns: randomCount }) : [];
    return [...this.boundaryCases(op, seededRandom(seed)), ...random].map((c) => this.withoutSelfDestruction(op, c));
  }

  // ── building requests ──

  private pathFor(op: Operation, variant: PathVariant): string {
    const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    return names.reduce((out, name, i) => {
      const resource = resourceOf(op.path, name);
      let segment: string;
      switch (variant.kind) {
        case 'own':
          segment = encodeURIComponent(idsOf(this.us)[resource]);
          break;
        case 'foreign':
          segment = encodeURIComponent(idsOf(this.them)[resource]);
          break;
        case 'unknown':
          segment = newId(PREFIX[resource]);
          break;
        case 'malformed':
          segment = i === 0 ? encodeURIComponent(variant.value) : encodeURIComponent(idsOf(this.us)[resource]);
          break;
        case 'raw':
          segment = i === 0 ? variant.segment : encodeURIComponent(idsOf(this.us)[resource]);
          break;
      }
      return out.replace(`{${name}}`, segment);
    }, op.path);
  }

  private sampleBody(op: Operation): Record<string, unknown> {
    const body = (sampleOf(this.doc, op.body?.schema) ?? {}) as Record<string, unknown>;
    // Never let a sample send the app to DNS (or to a real host).
    if ('url' in body || op.path === '/v1/webhook-endpoints') body.url = PUBLIC_WEBHOOK_URL;
    if (op.path === '/v1/api-keys' && op.method === 'post') body.scopes = ['releases:read'];
    if (op.path.endsWith('/callbacks')) body.data = { releaseId: this.us.releaseId };
    if (op.path === '/v1/oauth/token') Object.assign(body, { client_id: this.us.keyId, client_secret: this.us.key });
    return body;
  }

  /** The request a case stands for, with the fuzzing key (of `us`). */
  requestFor(op: Operation, c: FuzzCase): RawRequest {
    const headers: Record<string, string> = { 'X-API-Key': this.us.key, ...c.headers };
    let body: string | Buffer | undefined;
    const json = (value: unknown) => {
      headers['Content-Type'] ??= 'application/json';
      return JSON.stringify(value);
    };
    const b = c.body;
    switch (b.kind) {
      case 'none':
        break;
      case 'sample':
        body = json(this.sampleBody(op));
        break;
      case 'missing': {
        const sample = this.sampleBody(op);
        delete sample[b.property];
        body = json(sample);
        break;
      }
      case 'hostile':
      case 'extra':
        body = json({ ...this.sampleBody(op), [b.property]: b.value });
        break;
      case 'broken':
        headers['Content-Type'] ??= 'application/json';
        body = b.text;
        break;
      case 'contentType':
        if (b.contentType) headers['Content-Type'] = b.contentType;
        body = JSON.stringify(this.sampleBody(op));
        break;
      case 'oversized':
        body = json({ ...this.sampleBody(op), title: 'x'.repeat(300 * 1024) });
        break;
      case 'form':
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = b.text;
        break;
      case 'multipart': {
        const built = b.build();
        headers['Content-Type'] = built.contentType;
        body = built.body;
        break;
      }
    }
    if (op.path.endsWith('/callbacks') && c.path.kind === 'own' && body !== undefined) {
      // Signed with the partner's real secret, so validation past the signature is fuzzed too.
      const id = `fuzz_${newId('evt')}`;
      const raw = Buffer.isBuffer(body) ? body.toString('utf8') : body;
      Object.assign(headers, partnerCallbackHeaders(this.us.partnerSecret, id, raw));
    }
    const query = c.query ? `?${c.query}` : '';
    return { method: op.method.toUpperCase(), path: this.pathFor(op, c.path) + query, headers, body };
  }

  // ── choosing cases ──

  private readonly pathVariants: fc.Arbitrary<PathVariant> = fc.oneof(
    fc.constant<PathVariant>({ kind: 'own' }),
    fc.constant<PathVariant>({ kind: 'foreign' }),
    fc.constant<PathVariant>({ kind: 'unknown' }),
    fc.constantFrom(...MALFORMED_IDS).map((value): PathVariant => ({ kind: 'malformed', value })),
    fc.constantFrom(...RAW_SEGMENTS).map((segment): PathVariant => ({ kind: 'raw', segment })),
  );

  private propertiesOf(op: Operation): string[] {
    return Object.keys(op.body?.schema.properties ?? {});
  }

  private bodyVariants(op: Operation): fc.Arbitrary<BodyVariant> {
    if (op.body?.mediaType === 'multipart/form-data') return fc.constantFrom(...this.multipartCases());
    const properties = this.propertiesOf(op);
    const property = properties.length ? fc.constantFrom(...properties) : fc.constant('anything');
    return fc.oneof(
      fc.constant<BodyVariant>({ kind: op.body ? 'sample' : 'none' }),
      fc.tuple(property, fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.constantFrom(...hostileValuesFor({ type: 'string' })))).map(
        ([p, value]): BodyVariant => ({ kind: 'hostile', property: p, value }),
      ),
      fc.constantFrom(...BROKEN_JSON).map((text): BodyVariant => ({ kind: 'broken', text })),
      fc.constantFrom(...Object.entries(FORBIDDEN_PROPERTIES)).map(([p, value]): BodyVariant => ({ kind: 'extra', property: p, value })),
    );
  }

  private randomCase(op: Operation): fc.Arbitrary<FuzzCase> {
    return fc.record({
      path: this.pathVariants,
      query: fc.option(fc.oneof(fc.constantFrom(...QUERY_CASES), fc.string().map((s) => `limit=${encodeURIComponent(s)}`)), { nil: undefined }),
      headers: fc.option(fc.constantFrom(...HEADER_CASES), { nil: undefined }),
      body: this.bodyVariants(op),
    });
  }

  private multipartCases(): BodyVariant[] {
    const file = (content: Buffer, extra: Partial<{ name: string; filename: string; contentType: string }> = {}) => ({
      name: 'file',
      filename: 'master.wav',
      contentType: 'audio/wav',
      content,
      ...extra,
    });
    const audio = wav({ durationMs: 1000 });
    const cases: Array<[string, () => { contentType: string; body: Buffer }]> = [
      ['no parts', () => multipartBody([])],
      ['file under another name', () => multipartBody([file(audio, { name: 'upload' })])],
      ['two files', () => multipartBody([file(audio), file(audio)])],
      ['unknown text field', () => multipartBody([{ name: 'orgId', content: this.them.orgId }, file(audio)])],
      ['trackId garbage', () => multipartBody([{ name: 'trackId', content: "trk_' OR 1=1" }, file(audio)])],
      ['trackId NUL', () => multipartBody([{ name: 'trackId', content: 'trk_\u0000' }, file(audio)])],
      ['trackId huge', () => multipartBody([{ name: 'trackId', content: 't'.repeat(2 * 1024 * 1024) }, file(audio)])],
      ['trackId of the other organization', () => multipartBody([{ name: 'trackId', content: this.them.trackId }, file(audio)])],
      ['script bytes', () => multipartBody([file(Buffer.from('#!/bin/sh\nrm -rf /\n'))])],
      ['png bytes', () => multipartBody([file(png())])],
      ['empty file', () => multipartBody([file(Buffer.alloc(0))])],
      ['truncated body', () => multipartBody([file(audio)], { truncate: true })],
      ['wrong boundary', () => ({ contentType: 'multipart/form-data; boundary=nope', body: multipartBody([file(audio)]).body })],
      ['no boundary', () => ({ contentType: 'multipart/form-data', body: multipartBody([file(audio)]).body })],
      ['traversal filename', () => multipartBody([file(audio, { filename: '../../../../etc/passwd' })])],
      ['NUL filename', () => multipartBody([file(audio, { filename: 'a\u0000.wav' })])],
      ['huge filename', () => multipartBody([file(audio, { filename: `${'n'.repeat(20_000)}.wav` })])],
      ['over the upload limit', () => multipartBody([file(Buffer.concat([audio, Buffer.alloc(5 * 1024 * 1024)]))])],
      ['a valid WAV', () => multipartBody([file(audio)])],
    ];
    return cases.map(([label, build]): BodyVariant => ({ kind: 'multipart', label, build }));
  }

  private boundaryCases(op: Operation, random: () => number): FuzzCase[] {
    const out: FuzzCase[] = [];
    const pick = <T>(items: readonly T[], n: number): T[] => Array.from({ length: Math.min(n, items.length) }, () => items[Math.floor(random() * items.length)]);
    const hasParams = op.path.includes('{');
    const noBody: BodyVariant = { kind: 'none' };
    const defaultBody: BodyVariant = op.body ? (op.body.mediaType === 'multipart/form-data' ? this.multipartCases().at(-1)! : { kind: 'sample' }) : noBody;
    const own: PathVariant = { kind: 'own' };
    out.push({ path: own, body: defaultBody });
    if (hasParams) {
      for (const path of [{ kind: 'foreign' }, { kind: 'unknown' }] as PathVariant[]) out.push({ path, body: defaultBody });
      for (const value of [...MALFORMED_IDS.slice(0, 6), ...pick(MALFORMED_IDS.slice(6), 3)]) out.push({ path: { kind: 'malformed', value }, body: defaultBody });
      for (const segment of [...RAW_SEGMENTS.slice(0, 4), ...pick(RAW_SEGMENTS.slice(4), 2)]) out.push({ path: { kind: 'raw', segment }, body: defaultBody });
    }
    const queryParams = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    if (queryParams.length) for (const query of QUERY_CASES) out.push({ path: own, query, body: defaultBody });
    for (const headers of pick(HEADER_CASES, 5)) out.push({ path: own, headers, body: defaultBody });

    if (op.body?.mediaType === 'multipart/form-data') {
      for (const body of this.multipartCases()) out.push({ path: own, body });
      out.push({ path: own, body: { kind: 'contentType', contentType: 'application/json' } });
      out.push({ path: own, headers: { 'Content-Digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` }, body: defaultBody });
    } else if (op.method !== 'get') {
      const schema = op.body?.schema;
      for (const property of schema?.required ?? []) out.push({ path: own, body: { kind: 'missing', property } });
      for (const property of this.propertiesOf(op)) {
        const values = hostileValuesFor(schema?.properties?.[property]);
        for (const value of [...values.slice(0, 3), ...pick(values.slice(3), HOSTILE_VALUES_PER_PROPERTY)]) {
          out.push({ path: own, body: { kind: 'hostile', property, value } });
        }
      }
      for (const [property, value] of Object.entries(FORBIDDEN_PROPERTIES)) out.push({ path: own, body: { kind: 'extra', property, value } });
      for (const text of BROKEN_JSON) out.push({ path: own, body: { kind: 'broken', text } });
      for (const contentType of CONTENT_TYPES) out.push({ path: own, body: { kind: 'contentType', contentType } });
      out.push({ path: own, body: { kind: 'oversized' } });
      if (op.path === '/v1/oauth/token') {
        for (const text of [
          `grant_type=client_credentials&client_id=${this.us.keyId}&client_secret=${this.us.key}&client_secret=${this.us.key}`,
          'grant_type=password&username=admin&password=admin',
          `grant_type=client_credentials&client_id=${this.them.keyId}&client_secret=${this.us.key}`,
          `grant_type=client_credentials&client_id=${this.us.keyId}&client_secret=${this.us.key}&scope=${'admin '.repeat(50)}`,
          `grant_type=client_credentials&client_id=%00&client_secret=%ED%A0%80`,
          Array.from({ length: 50 }, (_, i) => `p${i}=1`).join('&'),
        ]) {
          out.push({ path: own, body: { kind: 'form', text } });
        }
      }
    }
    return out;
  }

  /** DELETE with our own id would simply delete the fixture: aim it elsewhere unless a precondition must fail first. */
  private withoutSelfDestruction(op: Operation, c: FuzzCase): FuzzCase {
    if (op.method !== 'delete' || c.path.kind !== 'own') return c;
    if (op.parameters.some((p) => p.name === 'If-Match')) return { ...c, headers: { ...c.headers, 'If-Match': '"v999"' } };
    return { ...c, path: { kind: 'unknown' } };
  }
}

/** mulberry32: a small seeded generator for the deterministic picks among boundary values. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short description of a case, for failure messages. */
export function caseSummary(c: FuzzCase): string {
  const body = c.body.kind === 'hostile' || c.body.kind === 'extra' ? `${c.body.kind} ${c.body.property}=${JSON.stringify(c.body.value)?.slice(0, 40)}` : c.body.kind === 'broken' ? `broken ${JSON.stringify(c.body.text.slice(0, 30))}` : c.body.kind === 'multipart' ? `multipart ${c.body.label}` : c.body.kind === 'contentType' ? `Content-Type ${JSON.stringify(c.body.contentType)}` : c.body.kind === 'missing' ? `missing ${c.body.property}` : c.body.kind;
  const path = c.path.kind === 'malformed' ? `id ${JSON.stringify(c.path.value.slice(0, 30))}` : c.path.kind === 'raw' ? `raw ${c.path.segment}` : `${c.path.kind} id`;
  return [path, body, c.query && `?${c.query.slice(0, 40)}`, c.headers && JSON.stringify(c.headers).slice(0, 60)].filter(Boolean).join('; ');
}
