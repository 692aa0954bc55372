import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateMasterKeySpec, parseMasterKey, type MasterKey } from '../common/crypto/secret-box.js';

/** Thrown when the environment is wrong: the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Environment = 'development' | 'test' | 'production';

export interface DatabaseConfig {
  /** 'postgres' when DATABASE_URL is set, else the embedded PGlite. */
  kind: 'postgres' | 'pglite';
  /** PostgreSQL connection string (kind 'postgres'); never logged. */
  url?: string;
  /** PGlite data directory, or 'memory://' (kind 'pglite'). */
  pgliteDir?: string;
  poolSize: number;
}

/** The AWS IAM upstream (mirrored AWS IAM users). The broker's own AWS credentials come from the SDK's default provider chain, never from here. */
export interface AwsUpstreamConfig {
  /** Endpoint override (e.g. a local emulator); unset = the SDK's regional AWS endpoint. */
  endpoint?: string;
  region: string;
  /** Connection and request timeout per attempt. */
  timeoutMs: number;
  /** Total attempts per call, first included (SDK standard retry mode). */
  maxAttempts: number;
  /** Reuse of upstream STS credentials (identical concurrent requests always share one call). */
  stsCache: {
    /** Off = every request that is not concurrent with an identical one calls AWS. */
    enabled: boolean;
    /** A credential is handed out again for at most this long after AWS issued it. */
    maxReuseSeconds: number;
    /** …and only while it still has at least this long to live. */
    minRemainingSeconds: number;
  };
}

/** STS: temporary credentials. */
export interface StsConfig {
  /** Web identity: allow http:// issuers and JWKS URLs on loopback addresses (tests, local CI runners). Never in production. */
  oidcAllowLoopback: boolean;
  /** JWKS fetch timeout. */
  oidcFetchTimeoutMs: number;
  /** How long fetched JWKS documents are used before they are fetched again (an unknown `kid` refetches sooner). */
  oidcJwksCacheSeconds: number;
}

export interface AppConfig {
  env: Environment;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  database: DatabaseConfig;
  autoMigrate: boolean;
  /** Master keys: the first encrypts, all decrypt (rotation). Secret: never logged. */
  masterKeys: MasterKey[];
  /** Set when the embedded default generated a master key into the data directory. */
  masterKeyGeneratedAt?: string;
  consoleSessionTtlSeconds: number;
  passwordResetTtlSeconds: number;
  trustProxy: boolean;
  publicUrl: string;
  /** Relax argon2 cost in tests only (never accepted in production). */
  fastPasswordHashing: boolean;
  aws: AwsUpstreamConfig;
  sts: StsConfig;
  /** Identical failed authentications within this window are counted on one audit record (AUDIT_FAILURE_WINDOW_MS). */
  auditFailureWindowMs: number;
  /** Seconds between signed audit digests of every chain (AUDIT_DIGEST_INTERVAL_SECONDS; 0 = off). */
  auditDigestIntervalSeconds: number;
  /** Regions a SigV4 credential scope may name (SIGV4_REGIONS, comma-separated); null = any region. */
  sigv4Regions: string[] | null;
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) throw new ConfigError(`${name} is required`);
    return fallback;
  }
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function databaseConfig(env: Env, dataDir: string): DatabaseConfig {
  const poolSize = int(env, 'DATABASE_POOL_SIZE', 10, 1, 200);
  const url = env.DATABASE_URL;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid URL');
    }
    if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
      throw new ConfigError('DATABASE_URL must start with postgresql:// (unset it to use the embedded database)');
    }
    return { kind: 'postgres', url, poolSize };
  }
  const dir = env.PGLITE_DIR || join(dataDir, 'pglite');
  return { kind: 'pglite', pgliteDir: dir === 'memory://' ? dir : resolve(dir), poolSize: 1 };
}

function awsUpstreamConfig(env: Env): AwsUpstreamConfig {
  const endpoint = env.AWS_UPSTREAM_ENDPOINT || undefined;
  if (endpoint !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw new ConfigError('AWS_UPSTREAM_ENDPOINT is not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError('AWS_UPSTREAM_ENDPOINT must be an http:// or https:// URL');
    }
    if (parsed.username || parsed.password) {
      throw new ConfigError('AWS_UPSTREAM_ENDPOINT must not contain credentials');
    }
  }
  const region = str(env, 'AWS_UPSTREAM_REGION', 'us-east-1');
  if (!/^[a-z0-9]+(-[a-z0-9]+)+$/.test(region)) {
    throw new ConfigError(`AWS_UPSTREAM_REGION must look like "us-east-1", got "${region}"`);
  }
  return {
    endpoint,
    region,
    timeoutMs: int(env, 'AWS_UPSTREAM_TIMEOUT_MS', 5000, 100, 60_000),
    maxAttempts: int(env, 'AWS_UPSTREAM_MAX_ATTEMPTS', 3, 1, 10),
    stsCache: {
      enabled: bool(env, 'AWS_UPSTREAM_STS_CACHE', true),
      maxReuseSeconds: int(env, 'AWS_UPSTREAM_STS_CACHE_MAX_REUSE_SECONDS', 300, 1, 3600),
      minRemainingSeconds: int(env, 'AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS', 900, 60, 43200),
    },
  };
}

function stsConfig(env: Env, nodeEnv: Environment): StsConfig {
  const oidcAllowLoopback = bool(env, 'OIDC_ALLOW_LOOPBACK', nodeEnv !== 'production');
  if (oidcAllowLoopback && nodeEnv === 'production') throw new ConfigError('OIDC_ALLOW_LOOPBACK must not be set in production');
  return {
    oidcAllowLoopback,
    oidcFetchTimeoutMs: int(env, 'OIDC_FETCH_TIMEOUT_MS', 3000, 100, 30_000),
    oidcJwksCacheSeconds: int(env, 'OIDC_JWKS_CACHE_SECONDS', 600, 0, 86_400),
  };
}

function masterKeys(env: Env, envName: Environment, dataDir: string): { keys: MasterKey[]; generatedAt?: string } {
  const parse = (name: string, spec: string) => {
    try {
      return parseMasterKey(spec.trim());
    } catch (e) {
      throw new ConfigError(`${name} is invalid: ${(e as Error).message}`);
    }
  };
  const old = (env.MASTER_KEYS_OLD ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parse('MASTER_KEYS_OLD', s));
  if (env.MASTER_KEY) return { keys: [parse('MASTER_KEY', env.MASTER_KEY), ...old] };
  if (envName === 'production') {
    throw new ConfigError('MASTER_KEY is required in production (format "<id>:<base64 of 32 bytes>"; `credbroker keygen` prints one)');
  }
  if (dataDir === 'memory://') return { keys: [parse('MASTER_KEY', generateMasterKeySpec('ephemeral')), ...old] };
  // Embedded default: generate once into the data directory (mode 0600) and say so.
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return { keys: [parse(file, readFileSync(file, 'utf8')), ...old] };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, generateMasterKeySpec('local1') + '\n', { mode: 0o600, flag: 'wx' });
  return { keys: [parse(file, readFileSync(file, 'utf8')), ...old], generatedAt: file };
}

/** Reads and validates the environment once; throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const dataDirRaw = str(env, 'DATA_DIR', './data');
  const dataDir = dataDirRaw === 'memory://' ? dataDirRaw : resolve(dataDirRaw);
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = str(env, 'HOST', '127.0.0.1');
  const database = databaseConfig(env, dataDir);
  const keys = masterKeys(env, nodeEnv, dataDir);
  const fastPasswordHashing = bool(env, 'FAST_PASSWORD_HASHING', false);
  if (fastPasswordHashing && nodeEnv === 'production') {
    throw new ConfigError('FAST_PASSWORD_HASHING must not be set in production');
  }
  const publicUrl = str(env, 'PUBLIC_URL', `http://${host}:${port}`);
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL is not a valid URL`);
  }
  return {
    env: nodeEnv,
    host,
    port,
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    dataDir,
    database,
    autoMigrate: bool(env, 'AUTO_MIGRATE', true),
    masterKeys: keys.keys,
    masterKeyGeneratedAt: keys.generatedAt,
    consoleSessionTtlSeconds: int(env, 'CONSOLE_SESSION_TTL_SECONDS', 8 * 3600, 300, 7 * 24 * 3600),
    passwordResetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600, 60, 24 * 3600),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    publicUrl,
    fastPasswordHashing,
    aws: awsUpstreamConfig(env),
    sts: stsConfig(env, nodeEnv),
    auditFailureWindowMs: int(env, 'AUDIT_FAILURE_WINDOW_MS', 10_000, 100, 3_600_000),
    auditDigestIntervalSeconds: int(env, 'AUDIT_DIGEST_INTERVAL_SECONDS', 3600, 0, 30 * 86_400),
    sigv4Regions: regionList(env, 'SIGV4_REGIONS'),
  };
}

/** A comma-separated list of AWS region names, or "*" / unset for any region. */
function regionList(env: Env, name: string): string[] | null {
  const raw = (env[name] ?? '').trim();
  if (raw === '' || raw === '*') return null;
  const regions = raw.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of regions) {
    if (!/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(r)) throw new ConfigError(`${name} must list regions like "us-east-1,eu-west-1" (or "*" for any), got "${r}"`);
  }
  return regions;
}

/** A description of the configuration that is safe to log (no secrets). */
export function describeConfig(c: AppConfig): Record<string, unknown> {
  return {
    env: c.env,
    listen: `${c.host}:${c.port}`,
    database: c.database.kind === 'postgres' ? 'postgresql' : `pglite:${c.database.pgliteDir}`,
    masterKeyIds: c.masterKeys.map((k) => k.id),
    autoMigrate: c.autoMigrate,
  };
}
