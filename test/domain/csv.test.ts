import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { csvCell, csvLine } from '../../src/domain/csv.js';

/** A minimal RFC 4180 reader: what a spreadsheet would make of one line. */
function readLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') (cell += '"'), (i += 2);
        else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
    } else while (i < line.length && line[i] !== ',' && !(line[i] === '\r' && line[i + 1] === '\n' && i + 2 === line.length)) cell += line[i++];
    cells.push(cell);
    if (line[i] === ',') i++;
    else break;
  }
  return cells;
}

test('plain cells are left alone; commas, quotes and line breaks are quoted', () => {
  assert.equal(csvLine(['a', 'b c', '12.50']), 'a,b c,12.50\r\n');
  assert.equal(csvCell('Pinot, Otago'), '"Pinot, Otago"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
});

test('a cell a spreadsheet would run as a formula is prefixed with a quote', () => {
  for (const formula of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
    assert.ok(readLine(csvLine([formula]))[0]?.startsWith("'"), formula);
  }
  assert.equal(csvCell('=1,2'), `"'=1,2"`);
});

test('any text reads back as itself (or, if formula-like, prefixed with one quote)', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 5 }), (cells) => {
      const back = readLine(csvLine(cells));
      assert.deepEqual(back, cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
    }),
  );
});
