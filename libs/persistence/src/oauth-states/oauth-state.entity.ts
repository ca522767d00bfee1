import type { EncryptedSecret } from '../connections/connection.entity';

/** A pending OAuth authorization: what the callback needs, kept until used once or expired. */
export interface OAuthState {
  nonce: string;
  tenantId: string;
  loginUrl: string;
  environment: 'production' | 'sandbox' | 'custom';
  /** The PKCE verifier never travels through the browser: it stays here, encrypted. */
  codeVerifier: EncryptedSecret;
  returnUrl: string | null;
  createdAt: Date;
  expiresAt: Date;
}
