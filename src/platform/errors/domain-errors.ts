/**
 * RFC 9457 problem details and the domain errors services throw.
 *
 * Services never throw Nest HTTP exceptions: they throw these, and
 * ProblemDetailsFilter renders every error (ours, Nest's, body-parser's,
 * multer's, Prisma's) as `application/problem+json` without internals.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://musicpub.dev/problems';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_BASE}#${slug}`;
}

/** Reason phrases for the statuses this API sends (RFC 9110 §15). */
export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};

const STATUS_SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  410: 'gone',
  412: 'precondition-failed',
  413: 'content-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  428: 'precondition-required',
  429: 'quota-exceeded',
  500: 'internal-error',
  503: 'service-unavailable',
  507: 'insufficient-storage',
};

export function defaultProblemType(status: number): string {
  return problemType(STATUS_SLUGS[status] ?? (status >= 500 ? 'internal-error' : 'bad-request'));
}

export function titleFor(status: number): string {
  return STATUS_TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

export interface DomainErrorOptions {
  type?: string;
  title?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

/** An error whose message is safe to show the client as `detail`. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly options: DomainErrorOptions = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }

  toProblem(): ProblemDocument {
    return {
      ...this.options.extensions,
      type: this.options.type ?? defaultProblemType(this.status),
      title: this.options.title ?? titleFor(this.status),
      status: this.status,
      detail: this.message,
      ...(this.options.errors?.length ? { errors: this.options.errors } : {}),
    };
  }
}

export class BadRequest extends DomainError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, detail, { errors, type: errors?.length ? problemType('validation-error') : undefined });
  }
}

export class NotFound extends DomainError {
  constructor(resource = 'resource') {
    super(404, `The ${resource} does not exist.`);
  }
}

export class Conflict extends DomainError {
  constructor(detail: string, options: DomainErrorOptions = {}) {
    super(409, detail, options);
  }
}

export class PreconditionFailed extends DomainError {
  constructor(detail = 'The resource has changed since you read it (If-Match does not match its current ETag).') {
    super(412, detail);
  }
}

export class Unprocessable extends DomainError {
  constructor(detail: string, errors: FieldError[] = [], options: DomainErrorOptions = {}) {
    super(422, detail, { ...options, errors });
  }
}

export class UnsupportedMediaType extends DomainError {
  constructor(detail: string) {
    super(415, detail);
  }
}

export class ServiceUnavailable extends DomainError {
  constructor(detail = 'A backing service is unavailable; retry shortly.', retryAfterSeconds = 1) {
    super(503, detail, { headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}
