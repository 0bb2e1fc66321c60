import { ValidationError, ValidationPipe } from '@nestjs/common';
import { BadRequest, FieldError } from '../errors/domain-errors';

/**
 * DTO validation for every route: unknown properties are refused rather than
 * stripped (no mass assignment, API guide: Conventions), and each failure names its field
 * with a dotted path (`contributors.0.role`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequest('The request is invalid.', flattenValidationErrors(errors)),
  });
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      out.push({
        field,
        message: constraint === 'whitelistValidation' ? `${field} is not a recognised property` : singular(message),
      });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * class-validator's built-in messages put the bound before a fixed plural
 * ("must contain at least $constraint1 elements", "longer than or equal to
 * $constraint1 characters"); with a bound of 1 that reads "1 elements".
 */
function singular(message: string): string {
  return message.replace(/(?<![\d.])1 (element|character)s\b/g, '1 $1');
}
