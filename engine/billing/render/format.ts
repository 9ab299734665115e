/** Display helpers shared by the invoice renderers (display only: stored amounts stay exact decimal text). */

/** "1234567.5" → "1,234,567.50" (the value is already rounded; only grouping is added). */
export function groupDigits(amount: string): string {
  const neg = amount.startsWith('-');
  const [w, f] = (neg ? amount.slice(1) : amount).split('.');
  const g = w!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${g}${f !== undefined ? `.${f}` : ''}`;
}

const group = (n: bigint) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A billed quantity in words a customer reads: time as min/s, data in MB (decimal), events as a count. */
export function quantityText(q: bigint, unit: string): string {
  const neg = q < 0n;
  const a = neg ? -q : q;
  const sign = neg ? '-' : '';
  switch (unit) {
    case 'ms': {
      const s = (a + 500n) / 1000n;
      const min = s / 60n;
      const sec = s % 60n;
      return `${sign}${group(min)} min ${sec.toString().padStart(2, '0')} s`;
    }
    case 'byte': {
      const hundredths = (a + 5_000n) / 10_000n; // MB with 2 decimals, half-up
      return `${sign}${group(hundredths / 100n)}.${(hundredths % 100n).toString().padStart(2, '0')} MB`;
    }
    case 'event':
      return `${sign}${group(a)}`;
    case '':
      return '';
    default:
      return `${sign}${group(a)} ${unit}`;
  }
}

export function rateText(rate: string): string {
  // "0.21" → "21%", "0.055" → "5.5%"
  const [w, f = ''] = rate.split('.');
  const digits = `${w}${f.padEnd(2, '0')}`;
  const intPart = digits.slice(0, w!.length + 2).replace(/^0+(?=\d)/, '');
  const frac = f.slice(2).replace(/0+$/, '');
  return `${intPart}${frac ? `.${frac}` : ''}%`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
