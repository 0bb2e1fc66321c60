// The operations of the app's own /openapi.json, for tests that iterate over
// every documented route (fuzzing, scope checks, inventory).
import type { TestApp } from './test-app';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

export interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  example?: unknown;
  default?: unknown;
}

export interface ParameterObject {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OperationObject {
  operationId?: string;
  summary?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<HttpMethod, OperationObject>>>;
  components: { schemas?: Record<string, SchemaObject>; parameters?: Record<string, ParameterObject> };
}

export interface Operation {
  method: HttpMethod;
  /** The OpenAPI template, e.g. /v1/releases/{id}. */
  path: string;
  operation: OperationObject;
  parameters: ParameterObject[];
  /** Scopes the route requires (from its security requirement), empty for public routes. */
  scopes: string[];
  /** The first request body schema and its media type, if any. */
  body?: { mediaType: string; schema: SchemaObject };
}

export async function fetchOpenApi(t: TestApp): Promise<OpenApiDocument> {
  const res = await t.http.get('/openapi.json');
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  return res.body as OpenApiDocument;
}

export function resolveSchema(doc: OpenApiDocument, schema: SchemaObject | undefined): SchemaObject | undefined {
  let current = schema;
  for (let i = 0; current?.$ref && i < 10; i++) current = doc.components.schemas?.[current.$ref.replace('#/components/schemas/', '')];
  return current;
}

function resolveParameter(doc: OpenApiDocument, parameter: ParameterObject): ParameterObject {
  return parameter.$ref ? doc.components.parameters![parameter.$ref.replace('#/components/parameters/', '')] : parameter;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const content = operation.requestBody?.content ?? {};
      const [mediaType] = Object.keys(content);
      out.push({
        method,
        path,
        operation,
        parameters: (operation.parameters ?? []).map((p) => resolveParameter(doc, p)),
        scopes: [...new Set((operation.security ?? []).flatMap((requirement) => Object.values(requirement).flat()))],
        body: mediaType ? { mediaType, schema: resolveSchema(doc, content[mediaType].schema)! } : undefined,
      });
    }
  }
  return out;
}

/** `/v1/releases/{id}` with `{ id: 'rel_…' }` → `/v1/releases/rel_…` (values are percent-encoded). */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (!(name in values)) throw new Error(`no value for path parameter ${name} of ${template}`);
    return encodeURIComponent(values[name]);
  });
}

/** `/v1/releases/{id}` → `/v1/releases/:id`, as Express writes it. */
export function expressPathOf(template: string): string {
  return template.replace(/\{(\w+)\}/g, ':$1');
}

/** A value the schema accepts, from its example, default, enum or type (enough to get past validation to the handler). */
export function sampleOf(doc: OpenApiDocument, schema: SchemaObject | undefined): unknown {
  const s = resolveSchema(doc, schema);
  if (!s) return undefined;
  if (s.example !== undefined && !(typeof s.example === 'string' && s.example.includes('…'))) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of s.required ?? []) out[name] = sampleOf(doc, s.properties?.[name]);
      return out;
    }
    case 'array':
      return [sampleOf(doc, s.items)];
    case 'number':
    case 'integer':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return s.format === 'date-time' ? new Date(Date.now() + 86_400_000).toISOString() : s.format === 'date' ? '2026-06-01' : 'text';
  }
}
