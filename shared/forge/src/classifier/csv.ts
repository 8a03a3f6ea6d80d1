/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines (Davidson's tweets do).
 * Returns rows of raw field strings; a trailing newline does not add an empty row.
 */
export function parseCsv(content: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = content.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  const endRow = (): void => {
    endField();
    rows.push(row);
    row = [];
  };
  for (; i < content.length; i++) {
    const c = content[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (content[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRow();
    else if (c === '\r') {
      if (content[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field.length > 0 || row.length > 0) endRow();
  return rows;
}

/** Parses CSV with a header row into records keyed by column name (an empty header stays ''). */
export function parseCsvRecords(content: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(content);
  if (!header) return [];
  return rows
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r, n) => {
      if (r.length !== header.length) throw new Error(`CSV row ${n + 2}: ${r.length} fields, header has ${header.length}`);
      const record: Record<string, string> = {};
      header.forEach((name, k) => (record[name] = r[k]));
      return record;
    });
}
