/**
 * RFC 4226 HOTP and RFC 6238 TOTP. Pure functions (randomness only in generateTotpSecret).
 *
 * Time inputs: a `Date`, or a number of **milliseconds** since the Unix epoch (same as `Date.now()`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Encode } from './base32.js';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export const TOTP_DEFAULT_DIGITS = 6;
export const TOTP_DEFAULT_STEP_SECONDS = 30;
export const TOTP_DEFAULT_WINDOW = 1;
/** Default ± window (in steps) searched by verifyConsecutiveTotp: ±10 steps = ±5 minutes. */
export const TOTP_CONSECUTIVE_DEFAULT_WINDOW = 10;
/** Upper bound on any window, so a caller mistake can't turn verification into a brute-force oracle / CPU sink. */
export const TOTP_MAX_WINDOW = 20;

const MAX_COUNTER = (1n << 64n) - 1n;
const ALGORITHMS: ReadonlySet<string> = new Set(['sha1', 'sha256', 'sha512']);

export interface TotpOptions {
  digits?: number;
  stepSeconds?: number;
  algorithm?: TotpAlgorithm;
}

export interface VerifyTotpOptions extends TotpOptions {
  /** Steps of clock skew allowed each side of the current step. Default 1. */
  window?: number;
  /** Only steps strictly greater than this are accepted (replay protection). null/undefined = no restriction. */
  afterStep?: number | null;
}

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new RangeError('digits must be an integer between 6 and 10');
  }
}

function checkAlgorithm(algorithm: string): void {
  if (!ALGORITHMS.has(algorithm)) throw new RangeError('unsupported TOTP algorithm');
}

function checkStepSeconds(stepSeconds: number): void {
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0) {
    throw new RangeError('stepSeconds must be a positive integer');
  }
}

function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 0 || window > TOTP_MAX_WINDOW) {
    throw new RangeError(`window must be an integer between 0 and ${TOTP_MAX_WINDOW}`);
  }
}

function checkSecret(secret: Buffer): void {
  if (!Buffer.isBuffer(secret) || secret.length === 0) {
    throw new TypeError('secret must be a non-empty Buffer');
  }
}

/** RFC 4226 HOTP value for `counter`, zero-padded to `digits` (default 6). */
export function hotp(
  secret: Buffer,
  counter: bigint | number,
  digits: number = TOTP_DEFAULT_DIGITS,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  checkSecret(secret);
  checkDigits(digits);
  checkAlgorithm(algorithm);
  let c: bigint;
  if (typeof counter === 'bigint') {
    c = counter;
  } else {
    if (!Number.isSafeInteger(counter)) throw new RangeError('counter must be a safe integer');
    c = BigInt(counter);
  }
  if (c < 0n || c > MAX_COUNTER) throw new RangeError('counter out of range');

  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(c);
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  // 10 digits may exceed 2^31, so use BigInt for the modulus to be safe.
  const mod = 10n ** BigInt(digits);
  return (BigInt(bin) % mod).toString().padStart(digits, '0');
}

function toMillis(now: Date | number): number {
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new RangeError('invalid time');
  return ms;
}

/** RFC 6238 time step T = floor(unixSeconds / stepSeconds). `now` is a Date or epoch milliseconds. */
export function totpStep(now: Date | number, stepSeconds: number = TOTP_DEFAULT_STEP_SECONDS): number {
  checkStepSeconds(stepSeconds);
  return Math.floor(toMillis(now) / 1000 / stepSeconds);
}

/** RFC 6238 TOTP code at `now`. */
export function totp(secret: Buffer, now: Date | number, opts: TotpOptions = {}): string {
  const stepSeconds = opts.stepSeconds ?? TOTP_DEFAULT_STEP_SECONDS;
  return hotp(secret, totpStep(now, stepSeconds), opts.digits ?? TOTP_DEFAULT_DIGITS, opts.algorithm ?? 'sha1');
}

function isDigitsCode(code: unknown, digits: number): code is string {
  return typeof code === 'string' && code.length === digits && /^[0-9]+$/.test(code);
}

function codeEquals(expected: string, provided: string): boolean {
  // Both are validated to be `digits` ASCII digits, so the buffers have equal length.
  return timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(provided, 'ascii'));
}

/**
 * Verifies a TOTP code. Returns the matched time step (the caller stores it and passes it back as
 * `afterStep` next time, so a code whose step <= lastUsedStep is refused), or null.
 *
 * - `window`: steps of skew allowed each side (default 1, max TOTP_MAX_WINDOW).
 * - `code` must be exactly `digits` ASCII digits (no spaces, no sign); anything else returns null.
 * - Every candidate step in the window is computed and compared in constant time (no early exit).
 * - If several steps match (a ~10^-6 collision), the highest one is returned, which is the
 *   conservative choice for replay protection.
 */
export function verifyTotp(
  secret: Buffer,
  code: string,
  now: Date | number,
  opts: VerifyTotpOptions = {},
): number | null {
  const digits = opts.digits ?? TOTP_DEFAULT_DIGITS;
  const stepSeconds = opts.stepSeconds ?? TOTP_DEFAULT_STEP_SECONDS;
  const algorithm = opts.algorithm ?? 'sha1';
  const window = opts.window ?? TOTP_DEFAULT_WINDOW;
  checkSecret(secret);
  checkDigits(digits);
  checkAlgorithm(algorithm);
  checkWindow(window);
  const afterStep = opts.afterStep ?? null;
  if (afterStep !== null && !Number.isFinite(afterStep)) throw new RangeError('afterStep must be a finite number');

  if (!isDigitsCode(code, digits)) return null;

  const current = totpStep(now, stepSeconds);
  let matched: number | null = null;
  for (let s = current - window; s <= current + window; s++) {
    if (s < 0) continue;
    const ok = codeEquals(hotp(secret, s, digits, algorithm), code);
    if (ok && (afterStep === null || s > afterStep)) matched = s;
  }
  return matched;
}

/**
 * Verifies two consecutive codes, as required to enable a virtual MFA device (AWS EnableMFADevice:
 * AuthenticationCode1 then AuthenticationCode2). Returns the step of code2 (store it as the device's
 * last used step) when code1 is the code for step s and code2 the code for step s+1, or null.
 *
 * Window choice: default ±10 steps (±5 minutes at 30 s) around `now`, because users read two codes off
 * their app, wait for the second one to appear and then type both, so the pair is often a minute or
 * more old; the app's clock may also be off. Both s and s+1 must lie inside the window and s must be
 * strictly greater than `afterStep` if given. Matching a *pair* of codes costs ~10^-12 guessing
 * probability per attempt, so the wider window does not weaken enrolment meaningfully. If several
 * pairs match, the latest one is returned.
 */
export function verifyConsecutiveTotp(
  secret: Buffer,
  code1: string,
  code2: string,
  now: Date | number,
  opts: VerifyTotpOptions = {},
): number | null {
  const digits = opts.digits ?? TOTP_DEFAULT_DIGITS;
  const stepSeconds = opts.stepSeconds ?? TOTP_DEFAULT_STEP_SECONDS;
  const algorithm = opts.algorithm ?? 'sha1';
  const window = opts.window ?? TOTP_CONSECUTIVE_DEFAULT_WINDOW;
  checkSecret(secret);
  checkDigits(digits);
  checkAlgorithm(algorithm);
  checkWindow(window);
  const afterStep = opts.afterStep ?? null;
  if (afterStep !== null && !Number.isFinite(afterStep)) throw new RangeError('afterStep must be a finite number');

  if (!isDigitsCode(code1, digits) || !isDigitsCode(code2, digits)) return null;

  const current = totpStep(now, stepSeconds);
  const first = Math.max(0, current - window);
  const last = current + window;
  // Compute each step's code once.
  const codes: string[] = [];
  for (let s = first; s <= last; s++) codes.push(hotp(secret, s, digits, algorithm));

  let matched: number | null = null;
  for (let i = 0; i + 1 < codes.length; i++) {
    const s = first + i;
    const ok1 = codeEquals(codes[i]!, code1);
    const ok2 = codeEquals(codes[i + 1]!, code2);
    if (ok1 && ok2 && (afterStep === null || s > afterStep)) matched = s + 1;
  }
  return matched;
}

/** 20 random bytes (160 bits, the RFC 4226 recommended HMAC-SHA-1 key length). */
export function generateTotpSecret(): Buffer {
  return randomBytes(20);
}

/**
 * Key URI for authenticator apps:
 * otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
 * Issuer and account name are percent-encoded (spaces as %20, ':' as %3A); the secret is unpadded base32.
 */
export function otpauthUri(opts: { secret: Buffer; issuer: string; accountName: string }): string {
  checkSecret(opts.secret);
  if (typeof opts.issuer !== 'string' || opts.issuer.length === 0) throw new TypeError('issuer is required');
  if (typeof opts.accountName !== 'string' || opts.accountName.length === 0) {
    throw new TypeError('accountName is required');
  }
  const issuer = encodeURIComponent(opts.issuer);
  const account = encodeURIComponent(opts.accountName);
  const secret = base32Encode(opts.secret, { padding: false });
  return (
    `otpauth://totp/${issuer}:${account}` +
    `?secret=${secret}&issuer=${issuer}&algorithm=SHA1&digits=${TOTP_DEFAULT_DIGITS}&period=${TOTP_DEFAULT_STEP_SECONDS}`
  );
}
