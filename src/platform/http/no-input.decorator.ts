import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { BadRequest } from '../errors/domain-errors';
import { requestOf } from './http-context';

/**
 * For a route that takes no body: a body, if sent, must be an empty JSON
 * object. Routes with a DTO refuse unknown properties through the
 * ValidationPipe (API guide: Conventions: no mass assignment); a route without one would
 * otherwise accept anything silently, e.g. `{"status":"approved"}` on submit.
 * Declared as a parameter (`@NoInput() _input: void`) so it runs where DTO
 * validation runs, after authentication and scopes. Not a @Body(), so the
 * OpenAPI document still shows the route without a request body.
 */
export const NoInput = createParamDecorator((_data: unknown, ctx: ExecutionContext): void => {
  const body = requestOf(ctx).body as unknown;
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest('This operation takes no request body; send none, or an empty JSON object.');
  }
  const names = Object.keys(body);
  if (names.length > 0) {
    throw new BadRequest(
      'This operation takes no request body; send none, or an empty JSON object.',
      names.slice(0, 20).map((name) => ({ field: name, message: `${name} is not a recognised property` })),
    );
  }
});
