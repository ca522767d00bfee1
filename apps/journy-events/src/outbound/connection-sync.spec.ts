import { lookupChunks } from './connection-sync';

describe('lookup chunks', () => {
  it('cuts at 150 values', () => {
    const values = Array.from({ length: 320 }, (_, i) => `u${i}@x.io`);
    expect(lookupChunks(values).map((c) => c.length)).toEqual([150, 150, 20]);
  });

  it('cuts at 4,000 characters of values, so the query URL stays short', () => {
    const values = Array.from({ length: 150 }, (_, i) => `${'a'.repeat(95)}${String(i).padStart(3, '0')}@x.io`);
    const chunks = lookupChunks(values);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.reduce((n, v) => n + v.length + 3, 0)).toBeLessThanOrEqual(4000);
    expect(chunks.flat()).toEqual(values);
  });

  it('keeps a single long value in a chunk of its own', () => {
    expect(lookupChunks(['x'.repeat(5000), 'b@x.io'])).toEqual([['x'.repeat(5000)], ['b@x.io']]);
  });
});
