import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignedState {
  nonce: string;
  tenantId: string;
  expiresAt: Date;
}

/**
 * The OAuth `state`: a random nonce bound to the tenant and an expiry, signed (HMAC-SHA256) so that a callback
 * can't be pointed at another tenant; single use is enforced by the stored nonce being consumed.
 */
export class OAuthStateSigner {
  private readonly secret: Buffer;

  constructor(secretBase64: string) {
    this.secret = Buffer.from(secretBase64, 'base64');
    if (this.secret.length < 32) throw new Error('OAUTH_STATE_SECRET must be at least 32 bytes (base64)');
  }

  issue(tenantId: string, ttlMs: number, now = Date.now()): { state: string; nonce: string; expiresAt: Date } {
    const nonce = randomBytes(24).toString('base64url');
    const expires = now + ttlMs;
    const body = `${nonce}.${Buffer.from(tenantId).toString('base64url')}.${expires}`;
    return { state: `${body}.${this.sign(body)}`, nonce, expiresAt: new Date(expires) };
  }

  /** The state's contents when the signature is ours and it has not expired; null otherwise. */
  verify(state: string, now = Date.now()): SignedState | null {
    const parts = state.split('.');
    if (parts.length !== 4) return null;
    const [nonce, tenant, expires, signature] = parts;
    const expected = Buffer.from(this.sign(`${nonce}.${tenant}.${expires}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = Number(expires);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) return null;
    return { nonce, tenantId: Buffer.from(tenant, 'base64url').toString('utf8'), expiresAt: new Date(expiresAt) };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
