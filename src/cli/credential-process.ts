/**
 * `credbroker credential-process` and `credbroker exec`: pure HTTP clients of a
 * running broker. They obtain temporary credentials from the broker's REST STS
 * (assume-role-with-web-identity, assume-role or get-session-token), cache them
 * privately, and either print them in the AWS `credential_process` format or
 * run a command with them in its environment. No configuration, no database:
 * nothing here imports the server.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import { callBrokerSts, parseEndpoint, type StsOperation } from './broker-client.js';
import { CliError, oneLine } from './cli-error.js';
import { cacheFile, cacheKey, minRemainingSeconds, readCache, writeCache, type ProcessCredentials } from './credential-cache.js';
import { resolveSigningKeys } from './source-credentials.js';

type Env = Record<string, string | undefined>;

export const CREDENTIAL_USAGE = `credbroker credential-process [options]
credbroker exec [options] -- <command> [args...]

Obtains temporary credentials from a running broker's STS API:
  --web-identity-token-file F   AssumeRoleWithWebIdentity with the token in F (needs --role-arn; no broker keys)
  --role-arn A                  AssumeRole (signed with broker keys)
  (neither)                     GetSessionToken (signed with broker keys)

Options:
  --endpoint URL                the broker's base URL (or CREDBROKER_ENDPOINT)
  --role-arn ARN                role to assume
  --role-session-name NAME      session name (default: credbroker-<time>, or ci-<time> with a web identity token)
  --policy-file FILE            session policy (JSON) to restrict the credentials further
  --duration-seconds N          lifetime of the credentials
  --serial-number ARN           MFA device (with --token-code)
  --token-code CODE             current MFA code
  --source-profile P            sign with the keys of [P] in the shared credentials file
  --no-cache                    neither read nor write the cache

Broker keys for signing: CREDBROKER_ACCESS_KEY_ID / CREDBROKER_SECRET_ACCESS_KEY, else --source-profile,
else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN).
Cache: \${XDG_CACHE_HOME:-~/.cache}/credbroker/, reused until CREDBROKER_CACHE_MIN_REMAINING_SECONDS
(default 300) before expiry.
credential-process prints {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"};
exec runs the command with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION set (AWS_PROFILE unset) and exits with its status.`;

export interface CredentialOptions {
  endpoint: string;
  roleArn?: string;
  roleSessionName?: string;
  policyFile?: string;
  durationSeconds?: number;
  webIdentityTokenFile?: string;
  serialNumber?: string;
  tokenCode?: string;
  sourceProfile?: string;
  noCache: boolean;
  help: boolean;
}

const OPTIONS = {
  endpoint: { type: 'string' },
  'role-arn': { type: 'string' },
  'role-session-name': { type: 'string' },
  'policy-file': { type: 'string' },
  'duration-seconds': { type: 'string' },
  'web-identity-token-file': { type: 'string' },
  'serial-number': { type: 'string' },
  'token-code': { type: 'string' },
  'source-profile': { type: 'string' },
  'no-cache': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses the options shared by both commands (no positionals). */
export function parseCredentialArgs(argv: string[], env: Env): CredentialOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    // parseArgs names the offending option; it never sees secrets other than --token-code's value, which it does not echo.
    throw new CliError(oneLine((e as Error).message.split('\n')[0] ?? 'invalid arguments', 200));
  }
  const str = (k: keyof typeof OPTIONS) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const opts: CredentialOptions = {
    endpoint: str('endpoint') ?? env.CREDBROKER_ENDPOINT ?? '',
    roleArn: str('role-arn'),
    roleSessionName: str('role-session-name'),
    policyFile: str('policy-file'),
    webIdentityTokenFile: str('web-identity-token-file'),
    serialNumber: str('serial-number'),
    tokenCode: str('token-code'),
    sourceProfile: str('source-profile'),
    noCache: values['no-cache'] === true,
    help: values.help === true,
  };
  if (opts.help) return opts;
  const d = str('duration-seconds');
  if (d !== undefined) {
    if (!/^\d{1,6}$/.test(d) || Number(d) < 1) throw new CliError('--duration-seconds must be a positive whole number of seconds');
    opts.durationSeconds = Number(d);
  }
  if (opts.webIdentityTokenFile && !opts.roleArn) throw new CliError('--web-identity-token-file needs --role-arn');
  if (!opts.roleArn && (opts.roleSessionName || opts.policyFile)) throw new CliError('--role-session-name and --policy-file need --role-arn');
  if (!!opts.serialNumber !== !!opts.tokenCode) throw new CliError('--serial-number and --token-code go together');
  if (opts.webIdentityTokenFile && opts.serialNumber) throw new CliError('MFA options do not apply to --web-identity-token-file');
  if (opts.tokenCode && !/^\d{6}$/.test(opts.tokenCode)) throw new CliError('--token-code must be the 6-digit code from the MFA device');
  parseEndpoint(opts.endpoint);
  return opts;
}

export function modeOf(o: CredentialOptions): StsOperation {
  if (o.webIdentityTokenFile) return 'assume-role-with-web-identity';
  if (o.roleArn) return 'assume-role';
  return 'get-session-token';
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

/** Obtains credentials (from the cache when fresh enough), as credential_process prints them. */
export async function obtainCredentials(o: CredentialOptions, env: Env, warn: (line: string) => void = () => undefined): Promise<ProcessCredentials> {
  const mode = modeOf(o);
  const endpoint = parseEndpoint(o.endpoint).base;
  const policy = o.policyFile ? readText(o.policyFile, 'policy file') : undefined;
  let webIdentityToken: string | undefined;
  let keys;
  if (mode === 'assume-role-with-web-identity') {
    webIdentityToken = readText(o.webIdentityTokenFile!, 'web identity token file').trim();
    if (!webIdentityToken) throw new CliError(`the web identity token file ${o.webIdentityTokenFile} is empty`);
  } else {
    keys = resolveSigningKeys(env, o.sourceProfile);
  }

  const file = o.noCache
    ? null
    : cacheFile(
        env,
        cacheKey({
          endpoint,
          mode,
          roleArn: o.roleArn,
          roleSessionName: o.roleSessionName,
          policy,
          durationSeconds: o.durationSeconds,
          serialNumber: o.serialNumber,
          sourceKeyId: keys?.accessKeyId,
          webIdentityTokenSha256: webIdentityToken ? createHash('sha256').update(webIdentityToken).digest('hex') : undefined,
        }),
      );
  if (file) {
    const cached = readCache(file, minRemainingSeconds(env));
    if (cached) return cached;
  }

  const params: Record<string, unknown> = {};
  if (o.roleArn) params.RoleArn = o.roleArn;
  if (mode !== 'get-session-token') params.RoleSessionName = o.roleSessionName ?? `${mode === 'assume-role' ? 'credbroker' : 'ci'}-${stamp()}`;
  if (policy !== undefined) params.Policy = policy;
  if (o.durationSeconds !== undefined) params.DurationSeconds = o.durationSeconds;
  if (o.serialNumber) {
    params.SerialNumber = o.serialNumber;
    params.TokenCode = o.tokenCode;
  }
  if (webIdentityToken) params.WebIdentityToken = webIdentityToken;

  const c = await callBrokerSts({
    endpoint,
    operation: mode,
    params,
    keys,
    timeoutMs: timeoutMs(env),
    // A one-time MFA code is not sent twice.
    retries: o.tokenCode ? 0 : 2,
    secrets: [webIdentityToken, o.tokenCode],
  });
  const creds: ProcessCredentials = { Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration };
  if (file) {
    try {
      writeCache(file, creds);
    } catch (e) {
      warn(`credbroker: warning: could not write the credentials cache (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return creds;
}

function timeoutMs(env: Env): number {
  const raw = env.CREDBROKER_TIMEOUT_SECONDS;
  return raw && /^\d{1,4}$/.test(raw) && Number(raw) > 0 ? Number(raw) * 1000 : 15_000;
}

/** The child's environment: the credentials in, any other credential source out. */
export function execEnv(env: Env, c: ProcessCredentials): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SECURITY_TOKEN', 'CREDBROKER_ACCESS_KEY_ID', 'CREDBROKER_SECRET_ACCESS_KEY', 'CREDBROKER_SESSION_TOKEN']) delete out[k];
  out.AWS_ACCESS_KEY_ID = c.AccessKeyId;
  out.AWS_SECRET_ACCESS_KEY = c.SecretAccessKey;
  out.AWS_SESSION_TOKEN = c.SessionToken;
  out.AWS_CREDENTIAL_EXPIRATION = c.Expiration;
  return out;
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Runs the command with the credentials; resolves to its exit status (signals forwarded, a signal death re-raised). */
export function runWithCredentials(command: string[], env: Record<string, string>, stderr: (s: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    const handlers = FORWARDED_SIGNALS.map((sig) => {
      const h = () => forward(sig);
      process.on(sig, h);
      return [sig, h] as const;
    });
    const cleanup = () => handlers.forEach(([sig, h]) => process.off(sig, h));
    child.on('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      stderr(`credbroker: cannot run ${oneLine(command[0]!, 200)}: ${e.code ?? 'error'}\n`);
      resolve(e.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => {
      cleanup();
      if (signal) {
        // Die the way the child died, so callers see the signal; the status is the fallback.
        const n = osConstants.signals[signal] ?? 0;
        try {
          process.kill(process.pid, signal);
        } catch {
          // Not deliverable here: the conventional status instead.
        }
        resolve(128 + n);
        return;
      }
      resolve(code ?? 1);
    });
  });
}

export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: CommandIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** Entry point for `credential-process` and `exec`; returns the exit status. */
export async function runCredentialCommand(cmd: 'credential-process' | 'exec', argv: string[], env: Env = process.env, io: CommandIo = defaultIo): Promise<number> {
  try {
    let args = argv;
    let command: string[] = [];
    if (cmd === 'exec') {
      const sep = argv.indexOf('--');
      args = sep >= 0 ? argv.slice(0, sep) : argv;
      command = sep >= 0 ? argv.slice(sep + 1) : [];
    }
    const opts = parseCredentialArgs(args, env);
    if (opts.help) {
      io.stdout(CREDENTIAL_USAGE + '\n');
      return 0;
    }
    if (cmd === 'exec' && command.length === 0) throw new CliError('exec needs a command after --: credbroker exec [options] -- <command> [args...]');
    const creds = await obtainCredentials(opts, env, (line) => io.stderr(line + '\n'));
    if (cmd === 'credential-process') {
      io.stdout(JSON.stringify(creds) + '\n');
      return 0;
    }
    return await runWithCredentials(command, execEnv(env, creds), io.stderr);
  } catch (e) {
    // Only our own messages are printed: anything else may carry text we did not vet.
    const msg = e instanceof CliError ? e.message : `unexpected ${(e as Error)?.name ?? 'error'}${(e as NodeJS.ErrnoException)?.code ? ` (${(e as NodeJS.ErrnoException).code})` : ''}`;
    io.stderr(`credbroker: ${oneLine(msg)}\n`);
    return 1;
  }
}
