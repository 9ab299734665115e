import { describe, expect, it } from 'vitest';
import { insertTsv, tsvMap, tsvString, tsvTime, TsvWriter } from '../../../engine/store/tsv.ts';

describe('TabSeparated encoding', () => {
  it('escapes control characters and backslashes', () => {
    expect(tsvString('a\tb\nc\\d')).toBe('a\\tb\\nc\\\\d');
    expect(tsvString('plain')).toBe('plain');
  });
  it('renders DateTime64(3) as seconds.millis', () => {
    expect(tsvTime(1700000000123)).toBe('1700000000.123');
    expect(tsvTime(5)).toBe('0.005');
  });
  it('renders map literals with quoted, escaped strings', () => {
    expect(tsvMap({ "o'k": 'a\tb' })).toBe("{'o\\'k':'a\\tb'}");
  });
  it('builds one INSERT command', () => {
    expect(insertTsv('`db`.`t`', ['a', 'b'], ['1\tx', '2\ty'])).toBe('INSERT INTO `db`.`t` (a, b) FORMAT TabSeparated\n1\tx\n2\ty\n');
  });
  it('TsvWriter writes the same bytes as the string encoders, short and long, ASCII or not', () => {
    const fields = ['', 'plain', 'a\tb\nc\\d\r\0\b\f', 'café ↦ ünïcødé', '→ first', 'x'.repeat(40), `${'y'.repeat(30)}\t→\n${'z'.repeat(30)}`,
      'tab\tafter → arrow', '\u0001 kept', '😀 astral'];
    const w = new TsvWriter(4); // grows on the way
    for (const f of fields) w.str(f);
    w.row();
    w.raw('1700000000.123').raw('→ raw'.repeat(10)).raw('12').row();
    const expected = `${fields.map(tsvString).join('\t')}\n1700000000.123\t${'→ raw'.repeat(10)}\t12\n`;
    expect(w.toString()).toBe(expected);
    expect(w.take().equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(w.rows).toBe(2);
    w.reset();
    w.str('again').row();
    expect(w.toString()).toBe('again\n');
  });
});
