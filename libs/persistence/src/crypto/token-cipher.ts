import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedSecret } from '../connections/connection.entity';

export interface CipherKey {
  id: string;
  key: Buffer;
}

/**
 * Encrypts secrets at rest with AES-256-GCM. The key ring's first key encrypts; every key decrypts, so keys rotate
 * by putting a new key first and re-encrypting (`needsRotation`) while the old one stays readable.
 * The connection id is bound as additional authenticated data: a ciphertext copied to another document fails.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly active: CipherKey;

  constructor(keys: CipherKey[]) {
    if (keys.length === 0) throw new Error('TokenCipher needs at least one key');
    for (const k of keys) {
      if (k.key.length !== 32) throw new Error(`encryption key ${k.id} must be 32 bytes (AES-256), got ${k.key.length}`);
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.active = keys[0];
  }

  /** Parses `id1:base64key,id2:base64key` (the TOKEN_ENCRYPTION_KEYS variable); the first is the active key. */
  static fromConfig(value: string): TokenCipher {
    const keys = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [id, encoded] = part.split(':');
        if (!id || !encoded || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error('each key must be <id>:<base64 of 32 bytes>');
        return { id, key: Buffer.from(encoded, 'base64') };
      });
    return new TokenCipher(keys);
  }

  encrypt(plaintext: string, context: string): EncryptedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.active.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
  }

  decrypt(secret: EncryptedSecret, context: string): string {
    const key = this.keys.get(secret.keyId);
    if (!key) throw new Error(`no key ${secret.keyId} to decrypt with: it was removed from the key ring`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(secret.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(secret.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(secret.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  }

  /** True when the secret was encrypted with a key other than the active one. */
  needsRotation(secret: EncryptedSecret): boolean {
    return secret.keyId !== this.active.id;
  }
}
