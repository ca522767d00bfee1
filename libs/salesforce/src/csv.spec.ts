import { parseCsvPage } from './csv';

describe('parseCsvPage', () => {
  it('reads quoted values, escaped quotes, embedded delimiters and newlines, and nulls', () => {
    const page = parseCsvPage('"Id","Name","Description"\n"001A","Acme, Inc.","says ""hi""\nsecond line"\n"001B",,""\n');
    expect(page.columns).toEqual(['Id', 'Name', 'Description']);
    expect(page.rows).toEqual([
      ['001A', 'Acme, Inc.', 'says "hi"\nsecond line'],
      ['001B', null, ''],
    ]);
  });

  it('handles CRLF, other delimiters, a missing final newline and an empty page', () => {
    expect(parseCsvPage('"a"|"b"\r\n"1"|"2"', '|').rows).toEqual([['1', '2']]);
    expect(parseCsvPage('"Id"\n')).toEqual({ columns: ['Id'], rows: [] });
    expect(() => parseCsvPage('"Id"\n"unterminated')).toThrow(/unterminated/);
  });
});
