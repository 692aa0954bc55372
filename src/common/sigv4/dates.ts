function digits(s: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

function validDate(y: number, mo: number, d: number): boolean {
  return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | null {
  if (!validDate(y, mo, d) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** Basic ISO 8601 `YYYYMMDD'T'HHMMSS'Z'`, strictly. */
export function parseAmzDate(s: string): Date | null {
  if (s.length !== 16 || s.charCodeAt(8) !== 0x54 /* T */ || s.charCodeAt(15) !== 0x5a /* Z */) return null;
  return utc(digits(s, 0, 4), digits(s, 4, 6), digits(s, 6, 8), digits(s, 9, 11), digits(s, 11, 13), digits(s, 13, 15));
}

/** 8 digits that form a valid calendar date. */
export function isScopeDate(s: string): boolean {
  return s.length === 8 && validDate(digits(s, 0, 4), digits(s, 4, 6), digits(s, 6, 8));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** RFC 7231 IMF-fixdate, e.g. `Sun, 30 Aug 2015 12:36:00 GMT`, strictly (the day name must match). */
export function parseHttpDate(s: string): Date | null {
  if (s.length !== 29 || s.slice(3, 5) !== ', ' || s[7] !== ' ' || s[11] !== ' ' || s[16] !== ' ') return null;
  if (s[19] !== ':' || s[22] !== ':' || s.slice(25) !== ' GMT') return null;
  const mo = MONTHS.indexOf(s.slice(8, 11)) + 1;
  if (mo === 0) return null;
  const d = utc(digits(s, 12, 16), mo, digits(s, 5, 7), digits(s, 17, 19), digits(s, 20, 22), digits(s, 23, 25));
  if (d === null || DAYS[d.getUTCDay()] !== s.slice(0, 3)) return null;
  return d;
}

/** `YYYYMMDD'T'HHMMSS'Z'` */
export function formatAmzDate(d: Date): string {
  const iso = d.toISOString(); // 2015-08-30T12:36:00.000Z
  return (
    iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + 'T' + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z'
  );
}
