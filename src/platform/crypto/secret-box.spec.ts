import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('SecretBox', () => {
  const k1 = key('k1');
  const k2 = key('k2');
  const box = new SecretBox(loadConfig({ ENCRYPTION_KEY: k1 }));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('whsec_top-secret', 'webhook:we_1');
    expect(sealed).not.toContain('top-secret');
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    expect(box.open(sealed, 'webhook:we_1')).toBe('whsec_top-secret');
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
  });

  it('refuses another context, a tampered ciphertext and a tampered tag', () => {
    const sealed = box.seal('secret', 'webhook:we_1');
    expect(() => box.open(sealed, 'webhook:we_2')).toThrow();
    const parts = sealed.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect(() => box.open([...parts.slice(0, 3), flip(parts[3]), parts[4]].join('.'), 'webhook:we_1')).toThrow();
    expect(() => box.open([...parts.slice(0, 4), flip(parts[4])].join('.'), 'webhook:we_1')).toThrow();
    expect(() => box.open('garbage', 'webhook:we_1')).toThrow();
  });

  it('opens secrets sealed under a previous key after rotation, and seals with the new one', () => {
    const sealedUnderK1 = box.seal('old secret', 'c');
    const rotated = new SecretBox(loadConfig({ ENCRYPTION_KEY: `${k2},${k1}` }));
    expect(rotated.open(sealedUnderK1, 'c')).toBe('old secret');
    expect(rotated.keyIdOf(rotated.seal('new', 'c'))).toBe('k2');
    const withoutK1 = new SecretBox(loadConfig({ ENCRYPTION_KEY: k2 }));
    expect(() => withoutK1.open(sealedUnderK1, 'c')).toThrow(/not configured/);
  });
});
