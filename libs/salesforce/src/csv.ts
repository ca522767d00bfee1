/**
 * Parses one Bulk API 2.0 results page (RFC 4180): a header row, then rows. An empty unquoted field is null
 * (Salesforce writes nulls that way); a quoted empty string is ''.
 */
export function parseCsvPage(text: string, delimiter = ','): { columns: string[]; rows: (string | null)[][] } {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    row.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (c === delimiter) {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (quoted) throw new Error('malformed CSV: an unterminated quoted field');
  if (field !== '' || wasQuoted || row.length > 0) {
    endField();
    rows.push(row);
  }
  const [header, ...data] = rows.filter((r) => !(r.length === 1 && r[0] === null));
  return { columns: (header ?? []).map((c) => c ?? ''), rows: data };
}
