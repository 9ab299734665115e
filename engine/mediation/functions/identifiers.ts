/**
 * Usage identifiers: normalise and validate the ids that tie usage to a subscriber or device — IMSI, ICCID, MAC,
 * UUID, plain digit strings. Invalid input is an INVALID_FIELD reject, never a silently wrong id.
 */
import type { FunctionSpec } from '../../expr/compile.ts';
import { ExprRuntimeError, str, type Value } from '../../expr/runtime.ts';

function luhnOk(d: string): boolean {
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9; }
    sum += x;
  }
  return sum % 10 === 0;
}

export const digits: FunctionSpec = {
  name: 'digits', description: 'digits(text): only the digits of the text (strips +, spaces, dashes, dots).', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "digits('+49 (30) 123-45')", result: '493012345' }],
  fn: (v: Value) => str(v).replace(/\D+/g, ''),
};

export const imsi: FunctionSpec = {
  name: 'imsi', description: 'imsi(text): a 6-15 digit IMSI (MCC+MNC+MSIN), spaces removed; otherwise INVALID_FIELD.', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "imsi(' 204 04 1234567890 ')", result: '204041234567890' }],
  fn: (v: Value) => {
    const s = str(v).replace(/\s+/g, '');
    if (!/^\d{6,15}$/.test(s)) throw new ExprRuntimeError(`${JSON.stringify(str(v))} is not an IMSI (6-15 digits)`);
    return s;
  },
};

export const iccid: FunctionSpec = {
  name: 'iccid', description: "iccid(text): the SIM's ICCID (18-22 digits starting 89, trailing F padding removed, Luhn-checked when 19+ digits).",
  minArgs: 1, maxArgs: 1,
  examples: [{ expr: "iccid('8931440400000000008F')", result: '8931440400000000008' }],
  fn: (v: Value) => {
    const s = str(v).trim().replace(/[Ff]+$/, '');
    if (!/^89\d{16,20}$/.test(s)) throw new ExprRuntimeError(`${JSON.stringify(str(v))} is not an ICCID (18-22 digits starting with 89)`);
    if (s.length >= 19 && !luhnOk(s)) throw new ExprRuntimeError(`${JSON.stringify(str(v))}: ICCID check digit is wrong`);
    return s;
  },
};

export const mac: FunctionSpec = {
  name: 'mac', description: 'mac(text): a MAC address as lower-case aa:bb:cc:dd:ee:ff (accepts -, :, . or no separators).', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "mac('00-1A-2B-3C-4D-5E')", result: '00:1a:2b:3c:4d:5e' }],
  fn: (v: Value) => {
    const h = str(v).trim().replace(/[-:.]/g, '').toLowerCase();
    if (!/^[0-9a-f]{12}$/.test(h)) throw new ExprRuntimeError(`${JSON.stringify(str(v))} is not a MAC address`);
    return h.match(/../g)!.join(':');
  },
};

export const uuid: FunctionSpec = {
  name: 'uuid', description: 'uuid(text): a UUID in canonical lower-case form (braces and upper case accepted).', minArgs: 1, maxArgs: 1,
  examples: [{ expr: "uuid('{3DA8BF84-C133-4959-9E24-E72875CB33A1}')", result: '3da8bf84-c133-4959-9e24-e72875cb33a1' }],
  fn: (v: Value) => {
    const s = str(v).trim().replace(/^\{|\}$/g, '').toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)) throw new ExprRuntimeError(`${JSON.stringify(str(v))} is not a UUID`);
    return s;
  },
};
