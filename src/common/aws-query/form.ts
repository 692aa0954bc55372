/**
 * `application/x-www-form-urlencoded` parsing for the AWS Query protocol (also used for the
 * query string of a GET request). Pure: no Nest, no I/O.
 *
 * Stricter than URLSearchParams, which silently repairs what it cannot read: a malformed
 * percent-escape, bytes that are not UTF-8 and a parameter given twice are refused
 * (MalformedQueryString), as is a parameter with an empty name. `+` is a space. Empty
 * segments (`a=1&&b=2`, a trailing `&`) are skipped; a segment without `=` is a parameter
 * with an empty value.
 */
import { clip } from './query-error.js';

export class FormError extends Error {
  readonly code = 'MalformedQueryString';
}

/** Most parameters one request may carry (IAM's largest requests have a few hundred). */
export const MAX_FORM_FIELDS = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const HEX: Record<string, number> = {};
for (let i = 0; i < 16; i++) {
  HEX[i.toString(16)] = i;
  HEX[i.toString(16).toUpperCase()] = i;
}

/** Decodes one name or value: `+` → space, `%XX` → byte, the bytes as UTF-8. */
export function decodeFormComponent(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hi = HEX[s.charAt(i + 1)];
      const lo = HEX[s.charAt(i + 2)];
      if (hi === undefined || lo === undefined) {
        throw new FormError(`The request contains a malformed percent-encoding near "${clip(s.slice(i, i + 3))}".`);
      }
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Raw non-ASCII (the body was already bytes → latin1 string, see parseForm): keep the byte.
      if (c > 0xff) throw new FormError('The request contains characters that are not percent-encoded.');
      bytes.push(c);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new FormError('The request contains a parameter that is not valid UTF-8.');
  }
}

/**
 * Parses a form body (bytes or text) into its fields, in order. Duplicate names, malformed
 * escapes and invalid UTF-8 throw FormError.
 */
export function parseForm(input: Buffer | string | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  if (input === undefined) return fields;
  // latin1 keeps every byte as one char code, so UTF-8 is decoded once, after unescaping.
  const text = typeof input === 'string' ? input : input.toString('latin1');
  if (text.length === 0) return fields;
  for (const segment of text.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? segment : segment.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(segment.slice(eq + 1));
    if (name === '') throw new FormError('The request contains a parameter without a name.');
    if (fields.has(name)) throw new FormError(`The request contains the parameter ${clip(name)} more than once.`);
    if (fields.size >= MAX_FORM_FIELDS) throw new FormError(`The request contains more than ${MAX_FORM_FIELDS} parameters.`);
    fields.set(name, value);
  }
  return fields;
}
