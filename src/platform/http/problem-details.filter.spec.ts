import {
  ArgumentsHost,
  BadRequestException,
  HttpException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { OAuthError } from '../auth/oauth-error';
import { BadRequest, Conflict, NotFound, PreconditionFailed, ServiceUnavailable, Unprocessable, problemType } from '../errors/domain-errors';
import { ProblemDetailsFilter } from './problem-details.filter';

interface Captured {
  status?: number;
  headers: Record<string, unknown>;
  body?: string;
  json?: unknown;
  destroyed: boolean;
  removed: string[];
}

function fakeHost(options: { headersSent?: boolean; path?: string; method?: string } = {}) {
  const captured: Captured = { headers: { etag: '"v1"' }, destroyed: false, removed: [] };
  const req = { method: options.method ?? 'GET', path: options.path ?? '/v1/things/thg_1', url: `${options.path ?? '/v1/things/thg_1'}?token=abc`, id: 'req-test-0001', headers: {} };
  const res = {
    headersSent: options.headersSent ?? false,
    status(code: number) {
      captured.status = code;
      return this;
    },
    set(headers: Record<string, string>) {
      for (const [k, v] of Object.entries(headers)) captured.headers[k.toLowerCase()] = v;
      return this;
    },
    setHeader(name: string, value: unknown) {
      captured.headers[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      captured.removed.push(name.toLowerCase());
      delete captured.headers[name.toLowerCase()];
    },
    send(body: string) {
      captured.body = body;
    },
    json(body: unknown) {
      captured.json = body;
    },
    destroy() {
      captured.destroyed = true;
    },
  };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
  return { host, captured };
}

function render(error: unknown, options?: Parameters<typeof fakeHost>[0]): { problem: Record<string, unknown>; captured: Captured } {
  const { host, captured } = fakeHost(options);
  new ProblemDetailsFilter().catch(error, host);
  return { problem: captured.body === undefined ? {} : (JSON.parse(captured.body) as Record<string, unknown>), captured };
}

const INTERNALS = /SELECT|password|node_modules|\/work\/|\.ts:\d+|at Object\.|Error:|stack|pg_hba|Prisma/i;

let logged: jest.SpyInstance;
beforeEach(() => {
  logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(() => logged.mockRestore());

describe('ProblemDetailsFilter', () => {
  it('renders a domain error as problem+json with the request id, instance and no-store', () => {
    const { problem, captured } = render(new NotFound('release'));
    expect(captured.status).toBe(404);
    expect(captured.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(captured.headers['cache-control']).toBe('no-store');
    expect(captured.removed).toContain('etag');
    expect(problem).toEqual({
      type: problemType('not-found'),
      title: 'Not Found',
      status: 404,
      detail: 'The release does not exist.',
      requestId: 'req-test-0001',
      instance: '/v1/things/thg_1',
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it('carries field errors and the validation-error type', () => {
    const { problem } = render(new BadRequest('The request is invalid.', [{ field: 'name', message: 'name must be a string' }]));
    expect(problem).toMatchObject({ status: 400, type: problemType('validation-error'), errors: [{ field: 'name', message: 'name must be a string' }] });
  });

  it.each([
    [new Conflict('Already exists.'), 409, 'Conflict'],
    [new PreconditionFailed(), 412, 'Precondition Failed'],
    [new Unprocessable('Cannot publish.', [{ field: 'tracks', message: 'add a track' }]), 422, 'Unprocessable Content'],
  ])('renders %p with its status and title', (error, status, title) => {
    const { problem, captured } = render(error);
    expect(captured.status).toBe(status);
    expect(problem).toMatchObject({ status, title });
  });

  it('sends the headers a domain error asks for', () => {
    const { captured, problem } = render(new ServiceUnavailable());
    expect(captured.status).toBe(503);
    expect(captured.headers['retry-after']).toBe('1');
    expect(problem.status).toBe(503);
  });

  it('answers an unknown route with the path only (never the query string)', () => {
    const { problem, captured } = render(new NotFoundException('Cannot GET /v1/nope?token=abc'), { path: '/v1/nope' });
    expect(captured.status).toBe(404);
    expect(problem.detail).toBe('No route matches GET /v1/nope.');
    expect(JSON.stringify(problem)).not.toContain('token=abc');
  });

  it('keeps the message of Nest 4xx exceptions, joining arrays', () => {
    expect(render(new BadRequestException(['a is bad', 'b is bad'])).problem).toMatchObject({ status: 400, detail: 'a is bad; b is bad' });
    expect(render(new HttpException('Too Many Requests', 429)).problem).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('never echoes the message of a Nest 5xx exception', () => {
    const { problem } = render(new InternalServerErrorException('SELECT password FROM users failed'));
    expect(problem).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(JSON.stringify(problem)).not.toMatch(INTERNALS);
  });

  it.each([
    ['entity.too.large', 413],
    ['entity.parse.failed', 400],
    ['encoding.unsupported', 415],
    ['charset.unsupported', 415],
    ['request.aborted', 400],
    ['request.size.invalid', 400],
    ['parameters.too.many', 413],
  ])('renders a body-parser %s error as %i, raw or wrapped by Nest', (type, status) => {
    const parserError = Object.assign(new SyntaxError(`Unexpected token } in JSON at position 7 (${type})`), { type, status, expose: true, body: '{"password":"hunter2"}' });
    for (const error of [parserError, new HttpException(parserError.message, parserError.status, { cause: parserError })]) {
      const { problem, captured } = render(error);
      expect(captured.status).toBe(status);
      expect(problem.status).toBe(status);
      expect(JSON.stringify(problem)).not.toMatch(/Unexpected token|hunter2|position/);
    }
  });

  it('renders a malformed URL (URIError) as 400', () => {
    const cause = new URIError('URI malformed');
    expect(render(new HttpException('Failed to decode param', 400, { cause })).problem).toMatchObject({ status: 400, detail: 'The request URL is malformed.' });
    expect(render(cause).problem).toMatchObject({ status: 400 });
  });

  it.each([
    ['LIMIT_FILE_SIZE', 413],
    ['LIMIT_FILE_COUNT', 400],
    ['LIMIT_UNEXPECTED_FILE', 400],
    ['LIMIT_PART_COUNT', 400],
    ['SOMETHING_NEW', 400],
  ])('renders a multer %s error as %i', (code, status) => {
    const error = Object.assign(new Error(`Multer: ${code} at /tmp/upload-123`), { name: 'MulterError', code, field: 'file' });
    const { problem } = render(error);
    expect(problem.status).toBe(status);
    expect(JSON.stringify(problem)).not.toContain('/tmp/upload-123');
  });

  it('maps database errors without their driver messages', () => {
    const unique = Object.assign(new Error('Unique constraint failed on the fields: (`name`) SELECT …'), { code: 'P2002' });
    expect(render(unique).problem).toMatchObject({ status: 409 });
    expect(JSON.stringify(render(unique).problem)).not.toMatch(INTERNALS);

    const pgUnique = Object.assign(new Error('duplicate key value violates unique constraint "org_name_key"'), { code: '23505' });
    expect(render(pgUnique).problem).toMatchObject({ status: 409 });
    expect(JSON.stringify(render(pgUnique).problem)).not.toContain('org_name_key');

    const missing = Object.assign(new Error('No record was found for an update.'), { code: 'P2025' });
    expect(render(missing).problem).toMatchObject({ status: 404 });

    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432 password authentication'), { code: 'ECONNREFUSED' });
    const down = render(new Error('query failed', { cause: refused }));
    expect(down.captured.status).toBe(503);
    expect(down.captured.headers['retry-after']).toBe('1');
    expect(JSON.stringify(down.problem)).not.toMatch(/10\.0\.0\.5|ECONNREFUSED|password/);
  });

  it('renders any other error as a generic 500, logging it with the request id', () => {
    const error = new Error('SELECT * FROM api_keys WHERE key_hash = $1 -- /work/main/src/x.ts:12');
    const { problem, captured } = render(error);
    expect(captured.status).toBe(500);
    expect(problem).toEqual({
      type: problemType('internal-error'),
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
      requestId: 'req-test-0001',
      instance: '/v1/things/thg_1',
    });
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0][0]).toMatchObject({ err: error, requestId: 'req-test-0001' });
    expect(String(logged.mock.calls[0][1])).not.toContain('token=abc');
  });

  it.each([
    ['ENOSPC', Object.assign(new Error('ENOSPC: no space left on device, copyfile /srv/uploads/tmp/x.part'), { code: 'ENOSPC', syscall: 'copyfile' })],
    ['EDQUOT as a cause', new Error('store failed', { cause: Object.assign(new Error('EDQUOT'), { code: 'EDQUOT' }) })],
  ])('answers a full disk (%s) with 507 insufficient-storage, a warning and no error log', (_label, error) => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { problem, captured } = render(error);
      expect(captured.status).toBe(507);
      expect(problem).toMatchObject({ type: problemType('insufficient-storage'), title: 'Insufficient Storage', status: 507 });
      expect(JSON.stringify(problem)).not.toMatch(/ENOSPC|EDQUOT|\/srv/);
      expect(logged).not.toHaveBeenCalled();
      expect(warned).toHaveBeenCalledTimes(1);
    } finally {
      warned.mockRestore();
    }
  });

  it.each([
    ['a string', 'boom'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a plain object', { message: 'SELECT secret' }],
  ])('renders a thrown %s as 500', (_label, thrown) => {
    const { problem } = render(thrown);
    expect(problem).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(JSON.stringify(problem)).not.toMatch(/boom|SELECT/);
  });

  it('renders OAuth errors in OAuth JSON (RFC 6749 §5.2), not problem+json, with no-store', () => {
    const { captured } = render(new OAuthError('invalid_client', 'Client authentication failed.', 401, { 'WWW-Authenticate': 'Basic realm="musicpub"' }));
    expect(captured.status).toBe(401);
    expect(captured.json).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
    expect(captured.body).toBeUndefined();
    expect(captured.headers['www-authenticate']).toBe('Basic realm="musicpub"');
    expect(captured.headers['cache-control']).toBe('no-store');
    expect(captured.headers.pragma).toBe('no-cache');
  });

  it('cuts a response whose headers were already sent instead of writing a second one', () => {
    const { captured } = render(new Error('stream broke'), { headersSent: true });
    expect(captured.destroyed).toBe(true);
    expect(captured.body).toBeUndefined();
    expect(captured.status).toBeUndefined();
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('answers 413 for a Nest PayloadTooLargeException', () => {
    expect(render(new PayloadTooLargeException()).problem).toMatchObject({ status: 413, title: 'Content Too Large' });
  });
});
