import type { OpenAPIObject } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** class-validator decorators whose constraints are JSON Schema keywords. */
const KEYWORDS: Record<string, (constraints: unknown[]) => Partial<Record<'minLength' | 'maxLength' | 'minItems' | 'maxItems', number>>> = {
  maxLength: ([max]) => ({ maxLength: max as number }),
  minLength: ([min]) => ({ minLength: min as number }),
  isLength: ([min, max]) => ({ minLength: min as number, ...(typeof max === 'number' ? { maxLength: max } : {}) }),
  arrayMaxSize: ([max]) => ({ maxItems: max as number }),
  arrayMinSize: ([min]) => ({ minItems: min as number }),
};

interface StorageInternals {
  validationMetadatas?: Map<unknown, ValidationMetadata[]>;
}

/**
 * Copies the length and size limits the DTO validators enforce into the
 * schemas of those DTOs, so the document states the limits the server
 * applies (a client generator or a fuzzer then knows them) and cannot drift
 * from them: @ApiProperty's own values are overwritten where they differ.
 *
 * class-validator has no public list of the classes it validates; its storage
 * keeps them as the keys of a Map, read here. A version that moved it fails
 * loudly (every test boots the app) instead of silently dropping the limits.
 */
export function limitsFromValidators(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const storage = getMetadataStorage();
  const targets = (storage as unknown as StorageInternals).validationMetadatas;
  if (!(targets instanceof Map)) throw new Error('class-validator no longer keeps validationMetadatas in a Map: update limitsFromValidators');
  for (const target of targets.keys()) {
    if (typeof target !== 'function' || !target.name) continue;
    const schema = schemas[target.name];
    if (!schema || '$ref' in schema || !schema.properties) continue;
    for (const metadata of storage.getTargetValidationMetadatas(target, '', false, false)) {
      const keywords = metadata.name ? KEYWORDS[metadata.name]?.(metadata.constraints ?? []) : undefined;
      if (!keywords) continue;
      const property = inline(schema.properties[metadata.propertyName]);
      const subject = metadata.each ? inline(property?.items) : property;
      if (subject) Object.assign(subject, keywords);
    }
  }
}

function inline(schema: SchemaObject | ReferenceObject | undefined): SchemaObject | undefined {
  return schema && !('$ref' in schema) ? schema : undefined;
}
