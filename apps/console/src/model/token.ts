/** What the console shows of a journy token: its tenant, scopes and expiry (the API verifies it; this only reads). */
export interface TokenInfo {
  tenant: string;
  scopes: string[];
  expiresAt: Date | null;
}

/** Reads a JWT's claims without verifying them; null when it is not a JWT naming a tenant. */
export function readToken(token: string): TokenInfo | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '='));
    const claims = JSON.parse(json) as { tenant?: unknown; scope?: unknown; exp?: unknown };
    if (typeof claims.tenant !== 'string' || claims.tenant === '') return null;
    return {
      tenant: claims.tenant,
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return null;
  }
}
