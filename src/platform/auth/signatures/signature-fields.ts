// Reads the `Signature-Input` and `Signature` fields of RFC 9421 §4 with a
// maintained RFC 9651 (Structured Field Values) parser, and picks out the one
// signature this API verifies, labelled `sig1` (API guide: Signed requests). Other labels may
// be present (a proxy may add its own, §4.3) and are ignored.
//
//   Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="key_…";alg="hmac-sha256";nonce="…"
//   Signature: sig1=:<base64 signature>:
import type * as StructuredHeaders from 'structured-headers/dist/index';
import { SignatureRefusal } from './signature-refusal';

// Types only: under moduleResolution "node10" TypeScript cannot see through
// the package's "exports"; Node (and Jest) load its CommonJS build at run time.
const { isInnerList, parseDictionary, serializeInnerList } = require('structured-headers') as typeof StructuredHeaders;

export const SIGNATURE_LABEL = 'sig1';

/**
 * Upper bound for each of the two fields. A real `sig1` input is a few hundred
 * bytes and an Ed25519 signature 88 characters; anything near this is abuse,
 * refused before parsing. (Node's HTTP parser answers 431 on its own when all
 * headers together pass 16 KiB.)
 */
export const MAX_SIGNATURE_FIELD_LENGTH = 4096;

/** The parameters of RFC 9421 §2.3 this API reads; others are still covered by the signature, as sent. */
export interface SignatureParameters {
  keyid?: string;
  alg?: string;
  created?: number;
  expires?: number;
  nonce?: string;
  tag?: string;
}

export interface SignatureFields {
  /** Covered component identifiers, in order (e.g. `@method`, `content-digest`). */
  components: string[];
  parameters: SignatureParameters;
  /** The `@signature-params` value: the inner list re-serialized as RFC 9421 §2.3 prescribes. */
  signatureParams: string;
  signature: Buffer;
}

type FieldValue = string | string[] | undefined;

/** Several field lines combine with commas (RFC 9110 §5.3), as Dictionary members do. */
function fieldText(value: FieldValue): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function parseField(name: string, value: string): ReturnType<typeof parseDictionary> {
  if (value.length > MAX_SIGNATURE_FIELD_LENGTH) {
    throw new SignatureRefusal('signature_oversized', `${name} is larger than ${MAX_SIGNATURE_FIELD_LENGTH} bytes.`);
  }
  try {
    return parseDictionary(value);
  } catch {
    throw new SignatureRefusal('signature_malformed', `${name} is not a valid structured field Dictionary (RFC 9651 §3.2).`);
  }
}

const PARAMETER_TYPES: Record<keyof SignatureParameters, 'string' | 'integer'> = {
  keyid: 'string',
  alg: 'string',
  created: 'integer',
  expires: 'integer',
  nonce: 'string',
  tag: 'string',
};

function readParameters(params: Map<string, unknown>): SignatureParameters {
  const out: Record<string, string | number> = {};
  for (const [name, type] of Object.entries(PARAMETER_TYPES)) {
    if (!params.has(name)) continue;
    const value = params.get(name);
    // RFC 9421 §2.3: created/expires are Integers, the others Strings (a Token is not a String).
    const ok = type === 'integer' ? typeof value === 'number' && Number.isInteger(value) : typeof value === 'string';
    if (!ok) throw new SignatureRefusal('signature_malformed', `The ${name} parameter must be ${type === 'integer' ? 'an Integer' : 'a String'}.`);
    out[name] = value as string | number;
  }
  return out as SignatureParameters;
}

/** Parses both fields and returns signature `sig1`, or throws a SignatureRefusal naming what is wrong. */
export function readSignatureFields(signatureInput: FieldValue, signature: FieldValue): SignatureFields {
  const inputText = fieldText(signatureInput);
  const signatureText = fieldText(signature);
  if (!inputText || !signatureText) {
    throw new SignatureRefusal('signature_missing', 'This key requires signed requests: send Signature-Input and Signature (RFC 9421) with label sig1.');
  }
  const inputs = parseField('Signature-Input', inputText);
  const signatures = parseField('Signature', signatureText);

  const input = inputs.get(SIGNATURE_LABEL);
  const value = signatures.get(SIGNATURE_LABEL);
  if (input === undefined || value === undefined) {
    throw new SignatureRefusal('signature_label', `Signature-Input and Signature must both carry the label ${SIGNATURE_LABEL}.`);
  }
  if (!isInnerList(input)) throw new SignatureRefusal('signature_malformed', `Signature-Input ${SIGNATURE_LABEL} must be an Inner List of component identifiers.`);
  if (isInnerList(value) || !(value[0] instanceof ArrayBuffer)) {
    throw new SignatureRefusal('signature_malformed', `Signature ${SIGNATURE_LABEL} must be a Byte Sequence (:base64:).`);
  }

  const [items, params] = input;
  const components: string[] = [];
  for (const [identifier, itemParams] of items) {
    // RFC 9421 §2: component identifiers are Strings (a Token such as @method without quotes is not).
    if (typeof identifier !== 'string') {
      throw new SignatureRefusal('signature_malformed', 'Each covered component must be a quoted String, e.g. "@method".');
    }
    // RFC 9421 §2.1–2.2 component parameters (;sf, ;key, ;bs, ;req, ;name) are not supported: fewer ways to read one field.
    if (itemParams.size > 0) throw new SignatureRefusal('signature_components', 'Component parameters (;sf, ;key, ;bs, ;req, ;name) are not supported.');
    components.push(identifier);
  }
  return {
    components,
    parameters: readParameters(params),
    signatureParams: serializeInnerList(input),
    signature: Buffer.from(value[0]),
  };
}
