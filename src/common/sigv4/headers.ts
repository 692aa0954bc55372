import type { HeaderMap } from './types.js';

/**
 * Builds the SigV4Request header map from Node's `req.rawHeaders` ([name, value, name, value, …]):
 * lower-case names, every repeat kept in order (a single value stays a string). Use it (or
 * `req.headersDistinct`) rather than `req.headers`, which joins repeats with ", " and keeps only the
 * first of some headers, neither of which is what AWS signs.
 */
export function headersFromRaw(rawHeaders: readonly string[]): HeaderMap {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (typeof prev === 'string') out[name] = [prev, value];
    else prev.push(value);
  }
  return out;
}
