import { connectionOfCacheKey, entityCacheKey } from './entity-cache-key';

describe('entity cache keys', () => {
  it('give back the connection of a key whose entity key holds colons', () => {
    const key = entityCacheKey('conn-1', 'USER', 'user:42:x');
    expect(key).not.toBe(entityCacheKey('conn-1', 'ACCOUNT', 'user:42:x'));
    expect(connectionOfCacheKey(key)).toBe('conn-1');
  });
});
