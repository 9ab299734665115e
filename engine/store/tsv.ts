/**
 * TabSeparated encoding for bulk inserts (the fastest path into the in-process engine: an INSERT … FORMAT
 * TabSeparated command carrying the rows). Money goes in as exact decimal text.
 */
import type { LineageSource, TextPiece, TextSink } from '../core/types.ts';
import { putDigits } from './bytes.ts';

const ESC: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };
const NEEDS = /[\\\t\n\r\0\b\f]/;
const NEEDS_G = /[\\\t\n\r\0\b\f]/g;

export function tsvString(s: string): string {
  return NEEDS.test(s) ? s.replace(NEEDS_G, (c) => ESC[c]!) : s;
}

/** epoch milliseconds → DateTime64(3) text "seconds.mmm" */
export function tsvTime(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(Math.trunc(ms));
  const s = `${Math.floor(a / 1000)}.${String(a % 1000).padStart(3, '0')}`;
  return neg ? `-${s}` : s;
}

const LIT_G = /[\\'\t\n\r\0\b\f]/g;
/** a quoted string inside a composite TSV value: the Map reader unescapes it once */
function literal(s: string): string {
  return `'${s.replace(LIT_G, (c) => (c === "'" ? "\\'" : ESC[c]!))}'`;
}

/** Map(String, String) value: a ClickHouse map literal (its strings escaped once, inside quotes) */
export function tsvMap(m: Record<string, string | number | bigint>): string {
  const parts: string[] = [];
  for (const k in m) parts.push(`${literal(k)}:${typeof m[k] === 'string' ? literal(m[k] as string) : String(m[k])}`);
  return `{${parts.join(',')}}`;
}

/** Build `INSERT INTO t (cols) FORMAT TabSeparated\n<rows>` */
export function insertTsv(table: string, columns: readonly string[], rows: string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated\n${rows.join('\n')}\n`;
}

/** the TSV escape letter of a character tsvString escapes (by char code), else 0 */
const ESC_CODE = new Uint8Array(128);
for (const [c, e] of Object.entries(ESC)) ESC_CODE[c.charCodeAt(0)] = e.charCodeAt(1);

/**
 * TabSeparated rows written straight into a growing Buffer — the same text as tsvString/tsvTime/tsvMap joined by
 * tabs, without building a string per row (no rope to flatten, no garbage per field; the bytes live off the JS heap).
 */
export class TsvWriter implements TextSink {
  private buf: Buffer;
  private pos = 0;
  /** rows ended by row() */
  rows = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    return this.buf;
  }

  /** a string field, escaped as tsvString */
  str(s: string): this {
    this.text(s);
    this.room(1)[this.pos++] = 0x09;
    return this;
  }

  /**
   * a string field given as text or as a source that writes it in pieces (a charge's lineage: straight into the
   * buffer, escaped piece by piece — the same bytes, no string of the value)
   */
  strOf(v: string | LineageSource): this {
    if (typeof v === 'string') return this.str(v);
    if (v.writeTo === undefined) return this.str(v.text());
    v.writeTo(this);
    this.room(1)[this.pos++] = 0x09;
    return this;
  }

  /** a piece of a string field, escaped as tsvString (no tab after it) */
  text(s: string): void {
    const n = s.length;
    const b = this.room(n * 3);
    const start = this.pos;
    if (n > 24) {
      // a long text: one call into the UTF-8 encoder beats a loop per character
      this.pos = start + b.write(NEEDS.test(s) ? tsvString(s) : s, start, 'utf8');
      return;
    }
    let p = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // non-ASCII: all of it through the UTF-8 encoder (escapes only concern ASCII, at most 2 bytes each)
        p = start + b.write(NEEDS.test(s) ? tsvString(s) : s, start, 'utf8');
        break;
      }
      const e = ESC_CODE[c]!;
      if (e) {
        b[p++] = 0x5c;
        b[p++] = e;
      } else b[p++] = c;
    }
    this.pos = p;
  }

  /** a constant piece of a string field, escaped as text() */
  piece(p: TextPiece): void {
    this.text(p.s);
  }

  /** a piece of a string field: the decimal text of a safe integer */
  int(n: number): void {
    this.pos = putDigits(this.room(17), this.pos, n);
  }

  /** text known to need no escaping (numbers, enum values, tsvTime/tsvMap output) */
  raw(s: string): this {
    const n = s.length;
    const b = this.room(n * 3 + 1);
    let p = this.pos;
    if (n > 24) {
      p += b.write(s, p, 'utf8');
      b[p++] = 0x09;
      this.pos = p;
      return this;
    }
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p += b.write(s.slice(i), p, 'utf8');
        break;
      }
      b[p++] = c;
    }
    b[p++] = 0x09;
    this.pos = p;
    return this;
  }

  /** end the row (replaces the last field's tab by a newline) */
  row(): void {
    if (this.pos > 0 && this.buf[this.pos - 1] === 0x09) this.buf[this.pos - 1] = 0x0a;
    else this.room(1)[this.pos++] = 0x0a;
    this.rows++;
  }

  get bytes(): number {
    return this.pos;
  }

  /** the rows written so far (a view of the writer's buffer: write no more rows into it after taking this) */
  take(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** start over, keeping the buffer (reuse it only once the bytes taken before are no longer read) */
  reset(): void {
    this.pos = 0;
    this.rows = 0;
  }

  /** the rows written so far as text */
  toString(): string {
    return this.buf.toString('utf8', 0, this.pos);
  }
}
