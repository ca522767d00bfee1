import { randomBytes } from 'node:crypto';
import { TokenCipher } from './token-cipher';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('TokenCipher', () => {
  it('round-trips a token and never stores it in clear', () => {
    const cipher = TokenCipher.fromConfig(key('k1'));
    const token = '00D5g000004XyZ1!AQ4AQFwF5.secret';
    const secret = cipher.encrypt(token, 'con_1');
    expect(JSON.stringify(secret)).not.toContain('secret');
    expect(secret.keyId).toBe('k1');
    expect(cipher.decrypt(secret, 'con_1')).toBe(token);
    expect(cipher.encrypt(token, 'con_1').iv).not.toBe(secret.iv);
  });

  it('refuses a ciphertext moved to another connection or tampered with', () => {
    const cipher = TokenCipher.fromConfig(key('k1'));
    const secret = cipher.encrypt('token', 'con_1');
    expect(() => cipher.decrypt(secret, 'con_2')).toThrow();
    const tampered = { ...secret, ciphertext: Buffer.from('other!').toString('base64') };
    expect(() => cipher.decrypt(tampered, 'con_1')).toThrow();
  });

  it('rotates keys: the first key encrypts, older ones still decrypt', () => {
    const k1 = key('k1');
    const old = TokenCipher.fromConfig(k1).encrypt('token', 'con_1');
    const rotated = TokenCipher.fromConfig(`${key('k2')},${k1}`);
    expect(rotated.decrypt(old, 'con_1')).toBe('token');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.encrypt('token', 'con_1').keyId).toBe('k2');
    expect(() => TokenCipher.fromConfig(key('k3')).decrypt(old, 'con_1')).toThrow(/no key k1/);
  });

  it('rejects keys of the wrong size or shape', () => {
    expect(() => TokenCipher.fromConfig(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => TokenCipher.fromConfig('nonsense')).toThrow(/<id>:<base64/);
  });
});
