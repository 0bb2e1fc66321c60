import { ArgumentsHost, BadRequestException, ForbiddenException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { Forbidden, InsufficientScope, Unauthenticated } from '../auth/auth-errors';
import { OAuthError } from '../auth/oauth-error';
import { BadRequest, Conflict, DomainError, NotFound, PreconditionFailed, Unprocessable } from '../http/problem-details';
import { ProblemDetailsFilter } from '../http/problem-details.filter';
import { statusOfError } from './error-status';

/** The status ProblemDetailsFilter actually answers an error with. */
function answeredStatus(error: unknown): number {
  let status: number | undefined;
  const req = { method: 'POST', path: '/v1/things', id: 'req-unit-0001', headers: {} };
  const res = {
    headersSent: false,
    status(code: number) {
      status = code;
      return this;
    },
    set() {
      return this;
    },
    setHeader() {},
    removeHeader() {},
    send() {},
    json() {},
  };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
  new ProblemDetailsFilter().catch(error, host);
  if (status === undefined) throw new Error('the filter did not answer');
  return status;
}

// Errors a handler (or a pipe inside the request transaction) can throw.
const CASES: Array<[string, unknown, number]> = [
  ['BadRequest', new BadRequest('bad', [{ field: 'name', message: 'required' }]), 400],
  ['Unauthenticated', new Unauthenticated('no', 'key_unknown'), 401],
  ['Forbidden', new Forbidden('no'), 403],
  ['InsufficientScope', new InsufficientScope(['keys:write']), 403],
  ['NotFound', new NotFound('release'), 404],
  ['Conflict', new Conflict('busy'), 409],
  ['PreconditionFailed', new PreconditionFailed(), 412],
  ['Unprocessable', new Unprocessable('incomplete'), 422],
  ['DomainError 503', new DomainError(503, 'later'), 503],
  ['OAuthError invalid_client', new OAuthError('invalid_client', 'no'), 401],
  ['OAuthError invalid_scope', new OAuthError('invalid_scope', 'no'), 400],
  ['Nest BadRequestException (validation pipe)', new BadRequestException(['name must be a string']), 400],
  ['Nest ForbiddenException', new ForbiddenException(), 403],
  ['Nest NotFoundException', new NotFoundException(), 404],
  ['Nest PayloadTooLargeException', new PayloadTooLargeException(), 413],
  ['HttpException 429', new HttpException('slow down', 429), 429],
  ['Prisma unique violation', Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }), 409],
  ['Prisma record not found', Object.assign(new Error('No record'), { code: 'P2025' }), 404],
  ['Postgres unique violation (driver)', Object.assign(new Error('duplicate key'), { code: '23505' }), 409],
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 503],
  ['Prisma pool timeout', Object.assign(new Error('timed out'), { code: 'P2024' }), 503],
  ['a unique violation as the cause', new Error('wrapped', { cause: { code: '23505' } }), 409],
  ['a plain Error', new Error('boom'), 500],
  ['a thrown string', 'boom', 500],
  ['undefined', undefined, 500],
];

describe('statusOfError', () => {
  it.each(CASES)('%s → %i', (_label, error, status) => {
    expect(statusOfError(error)).toBe(status);
  });

  it.each(CASES)('agrees with the status the client is answered for %s (the audit row must not say otherwise)', (_label, error) => {
    expect(statusOfError(error)).toBe(answeredStatus(error));
  });

  it('trusts a status or statusCode property only when it is an error status', () => {
    expect(statusOfError({ status: 413 })).toBe(413);
    expect(statusOfError({ statusCode: 415 })).toBe(415);
    expect(statusOfError({ status: 200 })).toBe(500);
    expect(statusOfError({ status: 302 })).toBe(500);
    expect(statusOfError({ status: 600 })).toBe(500);
    expect(statusOfError({ status: '404' })).toBe(500);
  });
});
