import { createSecretKey, KeyObject, createPublicKey } from 'node:crypto';
import { JWTPayload, SignJWT, errors as joseErrors, jwtVerify } from 'jose';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface JwtSettings {
  algorithm: JwtAlgorithm;
  /** HS256: the shared secret (base64, at least 32 bytes); RS256/ES256: journy's public key (PEM). */
  key: string;
  issuer: string;
  audience: string;
}

export type Scope = 'connector:read' | 'connector:write';

/** Who calls: journy's web app or a service, on behalf of one tenant (journy project), with scopes. */
export interface Principal {
  subject: string;
  tenantId: string;
  scopes: ReadonlySet<Scope>;
}

export class InvalidTokenError extends Error {}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function keyObject(settings: JwtSettings): KeyObject {
  if (settings.algorithm === 'HS256') {
    const secret = Buffer.from(settings.key, 'base64');
    if (secret.length < 32) throw new Error('JOURNY_JWT_KEY must be at least 32 bytes (base64) for HS256');
    return createSecretKey(secret);
  }
  return createPublicKey(settings.key.replace(/\\n/g, '\n'));
}

/** Verifies journy-signed bearer tokens: signature, algorithm, issuer, audience, expiry, and the claims we need. */
export class JwtVerifier {
  private readonly key: KeyObject;

  constructor(private readonly settings: JwtSettings) {
    this.key = keyObject(settings);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [this.settings.algorithm],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'token expired' : error instanceof joseErrors.JOSEError ? error.code : 'malformed token';
      throw new InvalidTokenError(reason);
    }
    const tenantId = payload.tenant;
    if (typeof tenantId !== 'string' || !TENANT.test(tenantId)) throw new InvalidTokenError('the token names no valid tenant');
    const scopes = new Set(
      String(payload.scope ?? '')
        .split(/\s+/)
        .filter((s): s is Scope => s === 'connector:read' || s === 'connector:write'),
    );
    return { subject: String(payload.sub), tenantId, scopes };
  }
}

/** Mints a token (local use and tests only: in production journy signs them). HS256 only. */
export async function mintToken(settings: JwtSettings, claims: { tenant: string; scopes: Scope[]; subject?: string; ttlSeconds?: number }): Promise<string> {
  if (settings.algorithm !== 'HS256') throw new Error('minting is only supported with HS256 (local use)');
  return new SignJWT({ tenant: claims.tenant, scope: claims.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? 'local-developer')
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(keyObject(settings));
}
