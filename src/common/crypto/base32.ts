/**
 * RFC 4648 (section 6) base32, alphabet A-Z2-7.
 * Pure functions, no I/O.
 */

export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const DECODE_MAP: Int8Array = (() => {
  const m = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE32_ALPHABET.length; i++) {
    m[BASE32_ALPHABET.charCodeAt(i)] = i;
    m[BASE32_ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return m;
})();

export interface Base32EncodeOptions {
  /** Emit trailing '=' padding to a multiple of 8 characters (RFC 4648 default). Default true. */
  padding?: boolean;
}

/** Encodes bytes as RFC 4648 base32 (upper case). Pass `{ padding: false }` to omit '=' padding (e.g. for otpauth URIs). */
export function base32Encode(data: Uint8Array, opts: Base32EncodeOptions = {}): string {
  const padding = opts.padding ?? true;
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    buffer = ((buffer << 8) | data[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  }
  if (padding) {
    while (out.length % 8 !== 0) out += '=';
  }
  return out;
}

/**
 * Decodes RFC 4648 base32. Case-insensitive; whitespace anywhere and trailing '=' padding are ignored.
 * Throws on any other character, on '=' followed by data, or on a length that no byte string encodes to.
 * Error messages never echo the input (it is usually a secret).
 */
export function base32Decode(input: string): Buffer {
  if (typeof input !== 'string') throw new TypeError('base32Decode: input must be a string');
  let s = input.replace(/\s+/g, '');
  const firstPad = s.indexOf('=');
  if (firstPad !== -1) {
    if (!/^=+$/.test(s.slice(firstPad))) {
      throw new Error('base32Decode: invalid padding');
    }
    s = s.slice(0, firstPad);
  }
  // Remainders 1, 3 and 6 characters cannot be produced by any input.
  const rem = s.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new Error('base32Decode: invalid length');
  }
  const out = Buffer.alloc(Math.floor((s.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let idx = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? DECODE_MAP[code]! : -1;
    if (v < 0) throw new Error('base32Decode: invalid character');
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[idx++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}
