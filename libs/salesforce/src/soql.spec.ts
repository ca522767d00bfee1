import { lookupChunks, soqlIn, soqlSelect, soqlString } from './soql';

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

describe('SOQL text', () => {
  it('escapes quotes and backslashes in literals, in IN lists too', () => {
    expect(soqlString("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
    expect(soqlIn('Email', ["a'b@x.io", 'c@x.io'])).toBe("Email IN ('a\\'b@x.io','c@x.io')");
  });

  it('builds a select with its optional filter and order', () => {
    expect(soqlSelect({ object: 'Account', fields: ['Id', 'Name'] })).toBe('SELECT Id, Name FROM Account');
    expect(soqlSelect({ object: 'AccountContactRelation', fields: ['Id'], where: "Id IN ('07k')", orderBy: 'AccountId' })).toBe("SELECT Id FROM AccountContactRelation WHERE Id IN ('07k') ORDER BY AccountId");
  });
});
