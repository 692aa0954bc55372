import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { homeOf } from './source-credentials.js';

/** What credential_process prints (the AWS CLI and SDKs read exactly these fields). */
export interface ProcessCredentials {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** RFC 3339. */
  Expiration: string;
}

/** The inputs that decide which credentials a run gets. Never a secret (the web identity token enters as a digest only). */
export interface CacheKeyInput {
  endpoint: string;
  mode: string;
  roleArn?: string;
  /** As given (a generated default name is not part of the key). */
  roleSessionName?: string;
  policy?: string;
  durationSeconds?: number;
  serialNumber?: string;
  /** The access key ID that signs (never its secret). */
  sourceKeyId?: string;
  /** SHA-256 of the web identity token: another token (another job, other claims) gets its own entry. */
  webIdentityTokenSha256?: string;
}

type Env = Record<string, string | undefined>;

/** Credentials are reused until this long before they expire (CREDBROKER_CACHE_MIN_REMAINING_SECONDS). */
export const DEFAULT_MIN_REMAINING_SECONDS = 300;

export function cacheKey(input: CacheKeyInput): string {
  const fields: (keyof CacheKeyInput)[] = ['endpoint', 'mode', 'roleArn', 'roleSessionName', 'policy', 'durationSeconds', 'serialNumber', 'sourceKeyId', 'webIdentityTokenSha256'];
  const canonical = JSON.stringify(fields.map((f) => [f, input[f] ?? null]));
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** `${XDG_CACHE_HOME:-~/.cache}/credbroker` (a relative XDG_CACHE_HOME is ignored, as the spec says). */
export function cacheDir(env: Env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homeOf(env), '.cache'), 'credbroker');
}

export function cacheFile(env: Env, key: string): string {
  return join(cacheDir(env), `${key}.json`);
}

export function minRemainingSeconds(env: Env): number {
  const raw = env.CREDBROKER_CACHE_MIN_REMAINING_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_MIN_REMAINING_SECONDS;
  const n = Number(raw);
  return /^\d+$/.test(raw) && n <= 43_200 ? n : DEFAULT_MIN_REMAINING_SECONDS;
}

function isProcessCredentials(v: unknown): v is ProcessCredentials {
  const o = v as Record<string, unknown> | null;
  return (
    !!o &&
    o.Version === 1 &&
    typeof o.AccessKeyId === 'string' &&
    typeof o.SecretAccessKey === 'string' &&
    typeof o.SessionToken === 'string' &&
    typeof o.Expiration === 'string' &&
    !Number.isNaN(Date.parse(o.Expiration))
  );
}

const ownedByMe = (uid: number) => typeof process.getuid !== 'function' || uid === process.getuid();

/**
 * Cached credentials if the file is ours, private (no group/other bits), well
 * formed and valid for more than `minRemaining` seconds; otherwise null.
 */
export function readCache(file: string, minRemaining: number, now = Date.now()): ProcessCredentials | null {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || (st.mode & 0o077) !== 0 || !ownedByMe(st.uid)) return null;
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!isProcessCredentials(v)) return null;
    return Date.parse(v.Expiration) - now > minRemaining * 1000 ? v : null;
  } catch {
    return null;
  }
}

/** Creates the cache directory (0700; tightened if it exists with looser bits and is ours). */
export function ensureCacheDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((st.mode & 0o777) !== 0o700 && ownedByMe(st.uid)) chmodSync(dir, 0o700);
}

/** Writes atomically: a 0600 temporary file in the same directory, fsynced, renamed over the target. */
export function writeCache(file: string, creds: ProcessCredentials): void {
  ensureCacheDir(dirname(file));
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(creds));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
