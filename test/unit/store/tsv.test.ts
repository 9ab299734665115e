import { describe, expect, it } from 'vitest';
import { insertTsv, tsvMap, tsvString, tsvTime } from '../../../engine/store/tsv.ts';

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
});
