import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { parseLeakReport, tokenHash, verifyLeakReportSignature } from './leak-report';

const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const keys = [{ keyIdentifier: 'kid-1', key: createPublicKey(pair.publicKey.export({ type: 'spki', format: 'pem' })), isCurrent: true }];
const body = Buffer.from('[{"token":"mpk_live_x","type":"t","url":"u","source":"content"}]');
const signature = sign('sha256', body, pair.privateKey).toString('base64');

describe('verifyLeakReportSignature', () => {
  it('accepts a DER base64 ECDSA P-256/SHA-256 signature over the exact bytes', () => {
    expect(verifyLeakReportSignature(keys, 'kid-1', signature, body)).toEqual({ ok: true, keyIdentifier: 'kid-1' });
  });
  it('refuses another body, another key id, a raw (P1363) signature and missing headers', () => {
    expect(verifyLeakReportSignature(keys, 'kid-1', signature, Buffer.concat([body, Buffer.from(' ')]))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyLeakReportSignature(keys, 'kid-2', signature, body)).toEqual({ ok: false, reason: 'unknown_key' });
    const p1363 = sign('sha256', body, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
    expect(verifyLeakReportSignature(keys, 'kid-1', p1363, body)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyLeakReportSignature(keys, undefined, signature, body)).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyLeakReportSignature([], 'kid-1', signature, body)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(verifyLeakReportSignature(keys, 'kid-1', 'not base64!', body)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('parseLeakReport', () => {
  it('reads the entries, url and source optional', () => {
    expect(parseLeakReport([{ token: 'a', type: 't', url: 'u', source: 's' }, { token: 'b', type: 't' }])).toEqual({
      ok: true,
      tokens: [
        { token: 'a', type: 't', url: 'u', source: 's' },
        { token: 'b', type: 't', url: null, source: null },
      ],
    });
  });
  it('names every bad field', () => {
    expect(parseLeakReport({})).toMatchObject({ ok: false });
    expect(parseLeakReport([null, { token: '', type: 't', url: 5 }])).toEqual({
      ok: false,
      errors: [
        { field: '[0]', message: expect.any(String) },
        { field: '[1].token', message: expect.any(String) },
        { field: '[1].url', message: expect.any(String) },
      ],
    });
  });
});

it('tokenHash is the hex SHA-256 GitHub compares with', () => {
  expect(tokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
