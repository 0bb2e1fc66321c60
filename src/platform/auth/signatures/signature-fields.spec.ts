import { MAX_SIGNATURE_FIELD_LENGTH, readSignatureFields } from './signature-fields';
import { SignatureRefusal } from './signature-refusal';

const INPUT = 'sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="key_1";alg="hmac-sha256";nonce="n0nce-1234"';
const SIGNATURE = `sig1=:${Buffer.alloc(32, 7).toString('base64')}:`;

function refusal(run: () => unknown): SignatureRefusal {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureRefusal) return error;
    throw error;
  }
  throw new Error('expected a SignatureRefusal');
}

describe('readSignatureFields', () => {
  it('reads sig1: components in order, parameters, the re-serialized inner list and the signature bytes', () => {
    const fields = readSignatureFields(INPUT, SIGNATURE);
    expect(fields.components).toEqual(['@method', '@target-uri', 'content-digest']);
    expect(fields.parameters).toEqual({ created: 1700000000, keyid: 'key_1', alg: 'hmac-sha256', nonce: 'n0nce-1234' });
    expect(fields.signatureParams).toBe(INPUT.slice('sig1='.length));
    expect(fields.signature).toEqual(Buffer.alloc(32, 7));
  });

  it('ignores other labels, and reads combined field lines as one Dictionary', () => {
    const fields = readSignatureFields(['proxy=("@method");created=1', INPUT], [`proxy=:${Buffer.alloc(4).toString('base64')}:`, SIGNATURE]);
    expect(fields.parameters.keyid).toBe('key_1');
  });

  it('re-serializes the inner list canonically (RFC 9421 §2.3), whatever whitespace the client used', () => {
    const fields = readSignatureFields('sig1=( "@method"   "@target-uri" );created=1;keyid="k"', SIGNATURE);
    expect(fields.signatureParams).toBe('("@method" "@target-uri");created=1;keyid="k"');
  });

  it.each([
    ['no Signature-Input', undefined, SIGNATURE],
    ['no Signature', INPUT, undefined],
    ['empty fields', '', ''],
  ])('refuses %s as signature_missing', (_label, input, signature) => {
    expect(refusal(() => readSignatureFields(input, signature)).reason).toBe('signature_missing');
  });

  it('refuses a field over the size bound before parsing it', () => {
    const big = `${INPUT};tag="${'x'.repeat(MAX_SIGNATURE_FIELD_LENGTH)}"`;
    expect(refusal(() => readSignatureFields(big, SIGNATURE)).reason).toBe('signature_oversized');
    expect(refusal(() => readSignatureFields(INPUT, `${SIGNATURE}, pad=:${'A'.repeat(MAX_SIGNATURE_FIELD_LENGTH)}:`)).reason).toBe('signature_oversized');
  });

  it.each([
    ['an unterminated inner list', 'sig1=("@method" "@target-uri"', SIGNATURE],
    ['a bad byte sequence', INPUT, 'sig1=:not base64!:'],
    ['a non-Dictionary', '("@method")', SIGNATURE],
    ['sig1 input that is not an inner list', 'sig1="@method"', SIGNATURE],
    ['a signature that is not a byte sequence', INPUT, 'sig1="abc"'],
    ['a signature that is an inner list', INPUT, 'sig1=(:AAAA:)'],
    ['a component that is a token', 'sig1=(method);created=1', SIGNATURE],
    ['created as a string', 'sig1=("@method");created="1"', SIGNATURE],
    ['created as a decimal', 'sig1=("@method");created=1.5', SIGNATURE],
    ['keyid as a token', 'sig1=("@method");keyid=key_1', SIGNATURE],
    ['nonce as a byte sequence', 'sig1=("@method");nonce=:AAAA:', SIGNATURE],
  ])('refuses %s as signature_malformed', (_label, input, signature) => {
    expect(refusal(() => readSignatureFields(input, signature)).reason).toBe('signature_malformed');
  });

  it.each([
    ['only another label', 'sig2=("@method");created=1', 'sig2=:AAAA:'],
    ['sig1 in Signature-Input only', INPUT, 'sig2=:AAAA:'],
    ['sig1 in Signature only', 'sig2=("@method")', SIGNATURE],
  ])('refuses %s as signature_label', (_label, input, signature) => {
    expect(refusal(() => readSignatureFields(input, signature)).reason).toBe('signature_label');
  });

  it('refuses component parameters (;sf, ;key, ;req, …) as unsupported components', () => {
    expect(refusal(() => readSignatureFields('sig1=("@method" "example-dict";sf)', SIGNATURE)).reason).toBe('signature_components');
    expect(refusal(() => readSignatureFields('sig1=("@query-param";name="a")', SIGNATURE)).reason).toBe('signature_components');
  });
});
