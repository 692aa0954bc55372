import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

/** The long-term broker access key that signs requests (never printed). */
export interface SigningKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Where they came from, for messages. */
  source: string;
}

type Env = Record<string, string | undefined>;

/** The user's home: HOME when set (tests, CI), else the OS's idea of it. */
export function homeOf(env: Env): string {
  return env.HOME || homedir();
}

function expandHome(p: string, env: Env): string {
  return p === '~' || p.startsWith('~/') ? join(homeOf(env), p.slice(1)) : p;
}

/** The shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials. */
export function sharedCredentialsFile(env: Env): string {
  return env.AWS_SHARED_CREDENTIALS_FILE ? expandHome(env.AWS_SHARED_CREDENTIALS_FILE, env) : join(homeOf(env), '.aws', 'credentials');
}

/** A minimal INI reader for the AWS shared files: `[section]`, `key = value`, `#` and `;` comments. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (head) {
      section = out[head[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section && eq > 0 && !/^\s/.test(raw)) section[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

function fromProfile(profile: string, env: Env): SigningKeys {
  const file = sharedCredentialsFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the shared credentials file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}) for --source-profile ${profile}`);
  }
  const section = parseIni(text)[profile];
  if (!section) throw new CliError(`profile "${profile}" is not in ${file}`);
  const accessKeyId = section.aws_access_key_id;
  const secretAccessKey = section.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) throw new CliError(`profile "${profile}" in ${file} has no aws_access_key_id and aws_secret_access_key`);
  return { accessKeyId, secretAccessKey, sessionToken: section.aws_session_token || undefined, source: `profile ${profile}` };
}

/**
 * The broker credentials that sign STS requests, in this order:
 * CREDBROKER_ACCESS_KEY_ID / CREDBROKER_SECRET_ACCESS_KEY; the --source-profile
 * section of the shared credentials file; AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN).
 */
export function resolveSigningKeys(env: Env, sourceProfile?: string): SigningKeys {
  const cbId = env.CREDBROKER_ACCESS_KEY_ID;
  const cbSecret = env.CREDBROKER_SECRET_ACCESS_KEY;
  if (cbId || cbSecret) {
    if (!cbId || !cbSecret) throw new CliError('set both CREDBROKER_ACCESS_KEY_ID and CREDBROKER_SECRET_ACCESS_KEY, or neither');
    return { accessKeyId: cbId, secretAccessKey: cbSecret, sessionToken: env.CREDBROKER_SESSION_TOKEN || undefined, source: 'CREDBROKER_ACCESS_KEY_ID' };
  }
  if (sourceProfile) return fromProfile(sourceProfile, env);
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined, source: 'AWS_ACCESS_KEY_ID' };
  }
  throw new CliError(
    'no broker credentials to sign with: set CREDBROKER_ACCESS_KEY_ID and CREDBROKER_SECRET_ACCESS_KEY, pass --source-profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  );
}
