import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signStandardWebhook, verifyStandardWebhook } from './standard-webhooks';

// The spec's published test vector (standard-webhooks/libraries, "Signature scheme").
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('signStandardWebhook', () => {
  it('matches the Standard Webhooks test vector', () => {
    expect(signStandardWebhook([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  it('puts one signature per secret, space-separated, each verifiable by the reference library alone', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const header = signStandardWebhook([newSecret, oldSecret], 'msg_1', now, '{"a":1}');
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': header };
    expect(new Webhook(oldSecret).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(new Webhook(newSecret).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(() => new Webhook(generateWebhookSecret()).verify('{"a":1}', headers)).toThrow();
  });

  it('refuses to sign with no secret', () => {
    expect(() => signStandardWebhook([], 'msg_1', 1, '')).toThrow();
  });

  it('makes secrets of 32 random bytes in the whsec_ format', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('verifyStandardWebhook', () => {
  const headers = (over: Partial<{ id: string; timestamp: string; signature: string }> = {}) => ({
    id: SPEC_ID,
    timestamp: String(SPEC_TIMESTAMP),
    signature: SPEC_SIGNATURE,
    ...over,
  });

  it('accepts the test vector inside the tolerance, on either side', () => {
    expect(verifyStandardWebhook(SPEC_SECRET, headers(), SPEC_BODY, SPEC_TIMESTAMP)).toEqual({ ok: true, id: SPEC_ID, timestamp: SPEC_TIMESTAMP });
    expect(verifyStandardWebhook(SPEC_SECRET, headers(), SPEC_BODY, SPEC_TIMESTAMP + 300).ok).toBe(true);
    expect(verifyStandardWebhook(SPEC_SECRET, headers(), SPEC_BODY, SPEC_TIMESTAMP - 300).ok).toBe(true);
  });

  it('accepts when any v1 signature of a list matches, ignoring other versions', () => {
    const list = `v2,abc v1,AAAA ${SPEC_SIGNATURE}`;
    expect(verifyStandardWebhook(SPEC_SECRET, headers({ signature: list }), SPEC_BODY, SPEC_TIMESTAMP).ok).toBe(true);
  });

  it.each([
    ['stale', headers(), SPEC_BODY, SPEC_TIMESTAMP + 301, 'timestamp_too_old'],
    ['future', headers(), SPEC_BODY, SPEC_TIMESTAMP - 301, 'timestamp_too_new'],
    ['tampered body', headers(), '{"test": 2432232315}', SPEC_TIMESTAMP, 'no_matching_signature'],
    ['other id', headers({ id: 'msg_other' }), SPEC_BODY, SPEC_TIMESTAMP, 'no_matching_signature'],
    ['wrong version', headers({ signature: SPEC_SIGNATURE.replace('v1,', 'v2,') }), SPEC_BODY, SPEC_TIMESTAMP, 'no_matching_signature'],
    ['truncated signature', headers({ signature: SPEC_SIGNATURE.slice(0, -4) }), SPEC_BODY, SPEC_TIMESTAMP, 'no_matching_signature'],
    ['garbage signature', headers({ signature: 'v1' }), SPEC_BODY, SPEC_TIMESTAMP, 'no_matching_signature'],
    ['non-numeric timestamp', headers({ timestamp: '1614265330.5' }), SPEC_BODY, SPEC_TIMESTAMP, 'malformed_timestamp'],
    ['missing signature', headers({ signature: '' }), SPEC_BODY, SPEC_TIMESTAMP, 'missing_headers'],
  ])('refuses a %s message', (_name, h, body, now, reason) => {
    expect(verifyStandardWebhook(SPEC_SECRET, h, body, now)).toEqual({ ok: false, reason });
  });

  it('refuses a signature made with another secret', () => {
    expect(verifyStandardWebhook(generateWebhookSecret(), headers(), SPEC_BODY, SPEC_TIMESTAMP).ok).toBe(false);
  });
});
