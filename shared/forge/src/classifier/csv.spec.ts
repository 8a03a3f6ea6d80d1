import { parseCsv, parseCsvRecords } from './csv';

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, embedded commas and newlines, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"line1\nline2",\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'line1\nline2', ''],
    ]);
  });

  it('keeps a last row without a trailing newline and rejects an unterminated quote', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
    expect(() => parseCsv('a\n"open')).toThrow(/quoted/);
  });

  it('maps rows to records by header, including an unnamed index column', () => {
    expect(parseCsvRecords(',name,class\n0,"a,b",2\n')).toEqual([{ '': '0', name: 'a,b', class: '2' }]);
    expect(() => parseCsvRecords('a,b\n1\n')).toThrow(/1 fields/);
  });
});
