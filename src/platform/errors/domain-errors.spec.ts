import {
  BadRequest,
  Conflict,
  DomainError,
  NotFound,
  PROBLEM_TYPE_BASE,
  PreconditionFailed,
  ServiceUnavailable,
  Unprocessable,
  UnsupportedMediaType,
  defaultProblemType,
  problemType,
  titleFor,
} from './domain-errors';

describe('problem types and titles', () => {
  it('builds type URIs under one base', () => {
    expect(problemType('not-found')).toBe(`${PROBLEM_TYPE_BASE}#not-found`);
    expect(defaultProblemType(404)).toBe(problemType('not-found'));
    expect(defaultProblemType(429)).toBe(problemType('quota-exceeded'));
  });

  it('falls back by class for statuses without their own entry', () => {
    expect(defaultProblemType(418)).toBe(problemType('bad-request'));
    expect(defaultProblemType(599)).toBe(problemType('internal-error'));
    expect(titleFor(418)).toBe('Bad Request');
    expect(titleFor(508)).toBe('Internal Server Error');
  });

  it('names a full disk (RFC 4918 §11.5)', () => {
    expect(titleFor(507)).toBe('Insufficient Storage');
    expect(defaultProblemType(507)).toBe(problemType('insufficient-storage'));
  });

  it('uses RFC 9110 reason phrases', () => {
    expect(titleFor(413)).toBe('Content Too Large');
    expect(titleFor(422)).toBe('Unprocessable Content');
    expect(titleFor(415)).toBe('Unsupported Media Type');
  });
});

describe('domain errors', () => {
  it('NotFound names the resource', () => {
    const error = new NotFound('release');
    expect(error).toBeInstanceOf(DomainError);
    expect(error.name).toBe('NotFound');
    expect(error.toProblem()).toEqual({ type: problemType('not-found'), title: 'Not Found', status: 404, detail: 'The release does not exist.' });
  });

  it('BadRequest uses the validation-error type only when it carries field errors', () => {
    expect(new BadRequest('Bad.').toProblem()).toEqual({ type: problemType('bad-request'), title: 'Bad Request', status: 400, detail: 'Bad.' });
    expect(new BadRequest('Bad.', []).toProblem()).not.toHaveProperty('errors');
    expect(new BadRequest('Bad.', [{ field: 'a', message: 'm' }]).toProblem()).toEqual({
      type: problemType('validation-error'),
      title: 'Bad Request',
      status: 400,
      detail: 'Bad.',
      errors: [{ field: 'a', message: 'm' }],
    });
  });

  it('each typed error has its status', () => {
    expect(new Conflict('c').status).toBe(409);
    expect(new PreconditionFailed().status).toBe(412);
    expect(new Unprocessable('u').status).toBe(422);
    expect(new UnsupportedMediaType('x').status).toBe(415);
    expect(new ServiceUnavailable().status).toBe(503);
  });

  it('ServiceUnavailable asks for Retry-After', () => {
    expect(new ServiceUnavailable(undefined, 5).options.headers).toEqual({ 'Retry-After': '5' });
  });

  it('extensions are kept but cannot override the core members', () => {
    const problem = new Conflict('Duplicate.', { type: problemType('duplicate-isrc'), extensions: { existingId: 'trk_1', status: 200, detail: 'x' } }).toProblem();
    expect(problem).toMatchObject({ type: problemType('duplicate-isrc'), status: 409, detail: 'Duplicate.', existingId: 'trk_1' });
  });
});
