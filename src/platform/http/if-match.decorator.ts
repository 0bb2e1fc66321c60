import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiPreconditionFailedResponse } from '@nestjs/swagger';
import { IfMatchCondition, parseIfMatch } from './entity-tag';
import { BadRequest } from '../errors/domain-errors';
import { requestOf } from './http-context';

/**
 * The request's parsed `If-Match` (RFC 9110 §13.1.1), or undefined when the
 * client sent none. A value that is neither "*" nor entity tags is a client
 * error (400) rather than a silent non-match.
 */
export const IfMatch = createParamDecorator((_data: unknown, ctx: ExecutionContext): IfMatchCondition | undefined => {
  const header = requestOf(ctx).headers['if-match'];
  if (header === undefined) return undefined;
  const condition = parseIfMatch(header);
  if (!condition) {
    throw new BadRequest('If-Match must be "*" or a list of quoted entity tags, such as the ETag of your last read.', [
      { field: 'If-Match', message: 'If-Match must be "*" or quoted entity tags, e.g. "v3"' },
    ]);
  }
  return condition;
});

/** Documents the optional If-Match header and its 412 on a route. */
export function ApiIfMatch(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'The ETag of your last read; the request fails with 412 if the resource has changed since (strong comparison).',
    }),
    ApiPreconditionFailedResponse({ description: 'If-Match does not match the current ETag.' }),
  );
}
