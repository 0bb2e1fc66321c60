// GitHub's secret scanning partner program, as the receiving partner: a
// report is a JSON array of `{ token, type, url, source }` signed with ECDSA
// P-256 / SHA-256 over the raw body; `GITHUB-PUBLIC-KEY-IDENTIFIER` names the
// key from GitHub's published list and `GITHUB-PUBLIC-KEY-SIGNATURE` carries the
// base64 DER signature. The answer is the feedback array
// `[{ token_hash, token_type, label }]`.

import { createHash, verify } from 'node:crypto';
import type { LeakReportPublicKey } from '../../config/app-config';
import type { FieldError } from '../../platform/errors/domain-errors';

export interface LeakedToken {
  token: string;
  type: string;
  url: string | null;
  source: string | null;
}

export type LeakLabel = 'true_positive' | 'false_positive';

export interface LeakFeedback {
  token_hash: string;
  token_type: string;
  label: LeakLabel;
}

export type SignatureCheck = { ok: true; keyIdentifier: string } | { ok: false; reason: 'missing_headers' | 'unknown_key' | 'bad_signature' };

/** Reports at most this many tokens; GitHub batches far fewer. */
export const MAX_REPORTED_TOKENS = 1000;
const MAX_TOKEN_LENGTH = 1000;
const MAX_TEXT_LENGTH = 2048;
// A DER ECDSA P-256 signature is at most 72 bytes; anything far longer is refused before decoding.
const MAX_SIGNATURE_HEADER = 200;

export function verifyLeakReportSignature(
  keys: readonly LeakReportPublicKey[],
  keyIdentifier: string | undefined,
  signature: string | undefined,
  rawBody: Buffer | undefined,
): SignatureCheck {
  if (!keyIdentifier || !signature || !rawBody) return { ok: false, reason: 'missing_headers' };
  const key = keys.find((k) => k.keyIdentifier === keyIdentifier);
  if (!key) return { ok: false, reason: 'unknown_key' };
  if (signature.length > MAX_SIGNATURE_HEADER || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return { ok: false, reason: 'bad_signature' };
  let valid = false;
  try {
    valid = verify('sha256', rawBody, { key: key.key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // malformed DER
  }
  return valid ? { ok: true, keyIdentifier } : { ok: false, reason: 'bad_signature' };
}

/** The report's tokens, or field errors naming what is wrong. Only called for signed reports. */
export function parseLeakReport(body: unknown): { ok: true; tokens: LeakedToken[] } | { ok: false; errors: FieldError[] } {
  if (!Array.isArray(body)) return { ok: false, errors: [{ field: '', message: 'the report must be a JSON array of { token, type, url, source }' }] };
  if (body.length > MAX_REPORTED_TOKENS) return { ok: false, errors: [{ field: '', message: `a report holds at most ${MAX_REPORTED_TOKENS} tokens` }] };
  const errors: FieldError[] = [];
  const tokens: LeakedToken[] = [];
  body.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push({ field: `[${i}]`, message: 'each entry must be an object { token, type, url, source }' });
      return;
    }
    const { token, type, url, source } = entry as Record<string, unknown>;
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) errors.push({ field: `[${i}].token`, message: `token must be a string of 1–${MAX_TOKEN_LENGTH} characters` });
    if (typeof type !== 'string' || type.length === 0 || type.length > 100) errors.push({ field: `[${i}].type`, message: 'type must be a string of 1–100 characters' });
    for (const [name, value] of [['url', url], ['source', source]] as const) {
      if (value !== undefined && value !== null && (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH)) {
        errors.push({ field: `[${i}].${name}`, message: `${name} must be a string of at most ${MAX_TEXT_LENGTH} characters` });
      }
    }
    if (typeof token === 'string' && typeof type === 'string') {
      tokens.push({ token, type, url: typeof url === 'string' ? url : null, source: typeof source === 'string' ? source : null });
    }
  });
  return errors.length ? { ok: false, errors } : { ok: true, tokens };
}

/** The feedback's `token_hash`: SHA-256 of the token, hex, as GitHub computes it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
