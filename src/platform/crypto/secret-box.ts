import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

/**
 * Secrets at rest (webhook and partner secrets, HMAC signing secrets):
 * AES-256-GCM under ENCRYPTION_KEY. The sealed form is
 * `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts), so the key id travels
 * with the ciphertext and ENCRYPTION_KEY can rotate: new secrets use the
 * current key, old ones still open with theirs. `context` is bound as
 * additional authenticated data, so a ciphertext copied into another row or
 * purpose fails to open.
 */
@Injectable()
export class SecretBox {
  constructor(private readonly config: AppConfig) {}

  seal(plaintext: string, context: string): string {
    const keyId = this.config.encryptionKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId), iv);
    cipher.setAAD(Buffer.from(`${keyId}|${context}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', keyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, keyId, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || !keyId || !iv || ciphertext === undefined || !tag) throw new Error('Sealed secret is malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.key(keyId), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${keyId}|${context}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** The key id a sealed value was made with (to find secrets still under a retired key). */
  keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }

  private key(keyId: string): Buffer {
    const key = this.config.encryptionKeys.get(keyId);
    if (!key) throw new Error(`Encryption key "${keyId}" is not configured (ENCRYPTION_KEY)`);
    return key;
  }
}
