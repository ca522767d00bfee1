import { readToken } from './token';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${encode({ alg: 'HS256' })}.${encode(claims)}.signature`;

describe('readToken', () => {
  it('reads the tenant, scopes and expiry of a journy token', () => {
    expect(readToken(jwt({ tenant: 'demo', scope: 'connector:read connector:write', exp: 1_800_000_000 }))).toEqual({
      tenant: 'demo',
      scopes: ['connector:read', 'connector:write'],
      expiresAt: new Date(1_800_000_000_000),
    });
  });

  it('refuses what is not a JWT naming a tenant', () => {
    expect(readToken('not a token')).toBeNull();
    expect(readToken(jwt({ sub: 'someone' }))).toBeNull();
    expect(readToken('a.%%%.c')).toBeNull();
  });
});
