import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateNested, ValidationError } from 'class-validator';
import { BadRequest, problemType } from '../errors/domain-errors';
import { createValidationPipe, flattenValidationErrors } from './validation';

class ContributorDto {
  @IsString()
  name!: string;

  @IsIn(['composer', 'lyricist'])
  role!: string;
}

class CreateThingDto {
  @IsString()
  @MaxLength(5)
  name!: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ContributorDto)
  contributors?: ContributorDto[];
}

class BoundsDto {
  @IsArray()
  @ArrayMinSize(1)
  one!: string[];

  @IsArray()
  @ArrayMaxSize(1)
  atMostOne!: string[];

  @IsArray()
  @ArrayMinSize(11)
  eleven!: string[];

  @IsString()
  @MinLength(1)
  @MaxLength(1)
  letter!: string;
}

const asBody: ArgumentMetadata = { type: 'body', metatype: CreateThingDto };
const asQuery: ArgumentMetadata = { type: 'query', metatype: CreateThingDto };

async function rejection(value: unknown, metadata = asBody): Promise<BadRequest> {
  try {
    await createValidationPipe().transform(value, metadata);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequest);
    return error as BadRequest;
  }
  throw new Error('the pipe accepted the value');
}

describe('createValidationPipe', () => {
  it('says "1 element" and "1 character", not "1 elements" (class-validator\'s fixed plurals)', async () => {
    const error = await rejection({ one: [], atMostOne: ['a', 'b'], eleven: [], letter: '' }, { type: 'body', metatype: BoundsDto });
    expect(error.toProblem().errors?.map((e) => e.message)).toEqual([
      'one must contain at least 1 element',
      'atMostOne must contain no more than 1 element',
      'eleven must contain at least 11 elements',
      'letter must be longer than or equal to 1 character',
    ]);
  });

  it('returns an instance of the DTO, transforming query strings to numbers', async () => {
    const result = (await createValidationPipe().transform({ name: 'ok', limit: '7' }, asQuery)) as CreateThingDto;
    expect(result).toBeInstanceOf(CreateThingDto);
    expect(result.name).toBe('ok');
    expect(result.limit).toBe(7);
  });

  it('transforms nested objects into their DTO classes', async () => {
    const result = (await createValidationPipe().transform({ name: 'ok', contributors: [{ name: 'A', role: 'composer' }] }, asBody)) as CreateThingDto;
    expect(result.contributors?.[0]).toBeInstanceOf(ContributorDto);
  });

  it('refuses unknown properties instead of stripping them (no mass assignment)', async () => {
    const error = await rejection({ name: 'ok', orgId: 'org_other', isAdmin: true });
    expect(error.status).toBe(400);
    expect(error.toProblem()).toMatchObject({
      status: 400,
      type: problemType('validation-error'),
      errors: [
        { field: 'orgId', message: 'orgId is not a recognised property' },
        { field: 'isAdmin', message: 'isAdmin is not a recognised property' },
      ],
    });
  });

  it('refuses unknown properties inside nested objects, with a dotted path', async () => {
    const error = await rejection({ name: 'ok', contributors: [{ name: 'A', role: 'composer', share: 100 }] });
    expect(error.toProblem().errors).toEqual([{ field: 'contributors.0.share', message: 'contributors.0.share is not a recognised property' }]);
  });

  it('reports every failure with the dotted path of its field', async () => {
    const error = await rejection({ name: 'far too long', limit: '0', contributors: [{ name: 'A', role: 'composer' }, { name: 3, role: 'drummer' }] });
    const fields = error.toProblem().errors!.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'limit', 'contributors.1.name', 'contributors.1.role']));
    expect(fields).not.toContain('contributors.0.name');
  });

  it('does not echo submitted values in the messages', async () => {
    const error = await rejection({ name: 'SECRET-VALUE-1234', contributors: [{ name: 'x', role: 'SECRET-ROLE-5678' }] });
    const text = JSON.stringify(error.toProblem());
    expect(text).not.toContain('SECRET-VALUE-1234');
    expect(text).not.toContain('SECRET-ROLE-5678');
  });

  it('refuses a body that is not an object', async () => {
    for (const value of ['just a string', 42, null, [1, 2]]) {
      const error = await rejection(value);
      expect(error.status).toBe(400);
      expect(error.toProblem().errors?.length).toBeGreaterThan(0);
    }
  });
});

describe('flattenValidationErrors', () => {
  function validationError(property: string, constraints?: Record<string, string>, children: ValidationError[] = []): ValidationError {
    return Object.assign(new ValidationError(), { property, constraints, children });
  }

  it('flattens nested children into dotted fields, one entry per constraint', () => {
    const errors = [
      validationError('name', { isString: 'name must be a string', maxLength: 'name is too long' }),
      validationError('contributors', undefined, [validationError('0', undefined, [validationError('role', { isIn: 'role must be one of composer' })])]),
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'name', message: 'name must be a string' },
      { field: 'name', message: 'name is too long' },
      { field: 'contributors.0.role', message: 'role must be one of composer' },
    ]);
  });

  it('rewrites the whitelist message to name the full path', () => {
    const errors = [validationError('a', undefined, [validationError('b', { whitelistValidation: 'property b should not exist' })])];
    expect(flattenValidationErrors(errors)).toEqual([{ field: 'a.b', message: 'a.b is not a recognised property' }]);
  });

  it('returns nothing for no errors', () => {
    expect(flattenValidationErrors([])).toEqual([]);
  });
});
