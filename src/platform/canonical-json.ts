import canonicalizeModule from 'canonicalize';

/**
 * RFC 8785 JSON Canonicalization Scheme, from the `canonicalize` package
 * (ESM with a default export; under CommonJS interop it arrives as the module
 * object, hence the unwrapping).
 */
const canonicalizeFn = ((canonicalizeModule as unknown as { default?: typeof canonicalizeModule }).default ?? canonicalizeModule) as (
  value: unknown,
) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new Error('value cannot be canonicalised as JSON');
  return text;
}
