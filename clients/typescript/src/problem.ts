import type { components } from './api-types';

/** RFC 9457 problem details as the API sends them (application/problem+json). */
export type Problem = components['schemas']['Problem'] & Record<string, unknown>;

/** Problem type URIs end in `#<slug>`, e.g. `…/problems#quota-exceeded`. */
export type ProblemSlug = string;

/**
 * A non-2xx answer, as a typed problem. Non-problem error bodies (the token
 * endpoint's OAuth errors, a proxy's HTML page) become a problem too, with
 * the status and the body's own description, so callers handle one shape.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';

  constructor(
    readonly problem: Problem,
    /** Response headers (Retry-After, WWW-Authenticate, the RateLimit fields…). */
    readonly headers: Headers = new Headers(),
  ) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
  }

  get status(): number {
    return this.problem.status;
  }

  get type(): string {
    return this.problem.type;
  }

  /** The part of `type` after `#` (`quota-exceeded`, `validation-failed`…), or the whole type. */
  get slug(): ProblemSlug {
    const hash = this.problem.type.lastIndexOf('#');
    return hash < 0 ? this.problem.type : this.problem.type.slice(hash + 1);
  }

  get detail(): string | undefined {
    return this.problem.detail;
  }

  /** Field errors of a 400/422. */
  get errors(): Array<{ field: string; message: string }> {
    return this.problem.errors ?? [];
  }

  get requestId(): string | undefined {
    return this.problem.requestId;
  }

  /** Builds the error from a response whose status is not 2xx; reads its body. */
  static async fromResponse(response: Response): Promise<ProblemError> {
    const text = await response.text().catch(() => '');
    return new ProblemError(problemOf(response.status, response.statusText, response.headers.get('content-type'), text), response.headers);
  }
}

export function problemOf(status: number, statusText: string, contentType: string | null, text: string): Problem {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  if (record && /^application\/problem\+json/i.test(contentType ?? '') && typeof record.type === 'string') {
    return { title: statusText, ...record, status } as Problem;
  }
  // RFC 6749 §5.2 error bodies of the token endpoint.
  if (record && typeof record.error === 'string') {
    return {
      type: 'about:blank',
      title: record.error,
      status,
      detail: typeof record.error_description === 'string' ? record.error_description : undefined,
      oauthError: record.error,
    };
  }
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, detail: text ? text.slice(0, 500) : undefined };
}
