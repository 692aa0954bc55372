import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../src/cli/broker-client.js';
import { CliError, oneLine, redactSecrets } from '../../src/cli/cli-error.js';
import {
  cacheDir,
  cacheFile,
  cacheKey,
  DEFAULT_MIN_REMAINING_SECONDS,
  ensureCacheDir,
  minRemainingSeconds,
  readCache,
  writeCache,
  type ProcessCredentials,
} from '../../src/cli/credential-cache.js';
import { execEnv, modeOf, parseCredentialArgs } from '../../src/cli/credential-process.js';
import { parseIni, resolveSigningKeys, sharedCredentialsFile } from '../../src/cli/source-credentials.js';

const creds = (expiresInMs: number): ProcessCredentials => ({
  Version: 1,
  AccessKeyId: 'ASIAAAAAAAAAAAAAAAAA',
  SecretAccessKey: 'secret/secret/secret/secret/secret/secret',
  SessionToken: 'cbst_token',
  Expiration: new Date(Date.now() + expiresInMs).toISOString(),
});

describe('credential-process cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keys on the inputs that matter, never on the secret', () => {
    const base = { endpoint: 'https://broker.example', mode: 'assume-role', roleArn: 'arn:aws:iam::123456789012:role/ci', sourceKeyId: 'AKIAAAAAAAAAAAAAAAAA' };
    const k = cacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base })).toBe(k);
    for (const change of [
      { endpoint: 'https://other.example' },
      { mode: 'get-session-token' },
      { roleArn: 'arn:aws:iam::123456789012:role/other' },
      { roleSessionName: 'x' },
      { policy: '{}' },
      { durationSeconds: 900 },
      { serialNumber: 'arn:aws:iam::123456789012:mfa/u' },
      { sourceKeyId: 'AKIABBBBBBBBBBBBBBBB' },
      { webIdentityTokenSha256: 'ab' },
    ]) {
      expect(cacheKey({ ...base, ...change }), JSON.stringify(change)).not.toBe(k);
    }
    // Field boundaries cannot be shifted to collide.
    expect(cacheKey({ endpoint: 'a', mode: 'bc' })).not.toBe(cacheKey({ endpoint: 'ab', mode: 'c' }));
  });

  it('lives under XDG_CACHE_HOME (absolute only) or ~/.cache', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/credbroker');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/credbroker');
    expect(cacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/credbroker');
    expect(cacheFile({ HOME: '/home/u' }, 'abc')).toBe('/home/u/.cache/credbroker/abc.json');
  });

  it('reads the minimum remaining lifetime from the environment, with a safe default', () => {
    expect(minRemainingSeconds({})).toBe(DEFAULT_MIN_REMAINING_SECONDS);
    expect(minRemainingSeconds({ CREDBROKER_CACHE_MIN_REMAINING_SECONDS: '60' })).toBe(60);
    expect(minRemainingSeconds({ CREDBROKER_CACHE_MIN_REMAINING_SECONDS: 'soon' })).toBe(DEFAULT_MIN_REMAINING_SECONDS);
  });

  it('writes atomically with 0600 in a 0700 directory and reads it back', () => {
    const file = join(dir, 'credbroker', 'k.json');
    const c = creds(3600_000);
    writeCache(file, c);
    expect(statSync(join(dir, 'credbroker')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'credbroker'))).toEqual(['k.json']);
    expect(readCache(file, 300)).toEqual(c);
    // Overwrite in place.
    const c2 = creds(7200_000);
    writeCache(file, c2);
    expect(readCache(file, 300)).toEqual(c2);
  });

  it('tightens an existing cache directory to 0700', () => {
    const d = join(dir, 'loose');
    mkdirSync(d, { mode: 0o755 });
    chmodSync(d, 0o755);
    ensureCacheDir(d);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('reuses only until the minimum remaining lifetime', () => {
    const file = join(dir, 'credbroker', 'k.json');
    writeCache(file, creds(10 * 60_000));
    expect(readCache(file, 300)).not.toBeNull();
    expect(readCache(file, 600)).toBeNull();
    expect(readCache(file, 300, Date.now() + 6 * 60_000)).toBeNull();
  });

  it('ignores missing, corrupt, malformed and group- or world-readable files', () => {
    const file = join(dir, 'f.json');
    expect(readCache(file, 0)).toBeNull();
    writeFileSync(file, '{not json', { mode: 0o600 });
    expect(readCache(file, 0)).toBeNull();
    writeFileSync(file, JSON.stringify({ ...creds(3600_000), Version: 2 }), { mode: 0o600 });
    expect(readCache(file, 0)).toBeNull();
    writeFileSync(file, JSON.stringify(creds(3600_000)), { mode: 0o600 });
    expect(readCache(file, 0)).not.toBeNull();
    chmodSync(file, 0o644);
    expect(readCache(file, 0)).toBeNull();
  });
});

describe('credential-process options', () => {
  const env = { CREDBROKER_ENDPOINT: 'https://broker.example' };

  it('picks the mode from the options', () => {
    expect(modeOf(parseCredentialArgs([], env))).toBe('get-session-token');
    expect(modeOf(parseCredentialArgs(['--role-arn', 'arn:aws:iam::123456789012:role/r'], env))).toBe('assume-role');
    expect(modeOf(parseCredentialArgs(['--role-arn', 'arn:aws:iam::123456789012:role/r', '--web-identity-token-file', '/t'], env))).toBe(
      'assume-role-with-web-identity',
    );
  });

  it('takes --endpoint over CREDBROKER_ENDPOINT and refuses bad endpoints', () => {
    expect(parseCredentialArgs(['--endpoint', 'http://127.0.0.1:1'], env).endpoint).toBe('http://127.0.0.1:1');
    expect(() => parseCredentialArgs([], {})).toThrow(/--endpoint/);
    expect(() => parseCredentialArgs(['--endpoint', 'ftp://x'], {})).toThrow(CliError);
    expect(() => parseCredentialArgs(['--endpoint', 'https://u:p@x'], {})).toThrow(/credentials/);
  });

  it('normalises the endpoint to a base URL without a trailing slash, keeping a path prefix', () => {
    expect(parseEndpoint('http://127.0.0.1:8080')).toEqual({ origin: 'http://127.0.0.1:8080', base: 'http://127.0.0.1:8080' });
    expect(parseEndpoint('https://broker.example:443/')).toEqual({ origin: 'https://broker.example', base: 'https://broker.example' });
    expect(parseEndpoint('https://example.com/credbroker//').base).toBe('https://example.com/credbroker');
    expect(() => parseEndpoint('https://example.com/?x=1')).toThrow(/query/);
  });

  it('refuses inconsistent options with a clear message', () => {
    expect(() => parseCredentialArgs(['--web-identity-token-file', '/t'], env)).toThrow(/--role-arn/);
    expect(() => parseCredentialArgs(['--serial-number', 'arn:aws:iam::123456789012:mfa/u'], env)).toThrow(/together/);
    expect(() => parseCredentialArgs(['--serial-number', 's', '--token-code', 'abc'], env)).toThrow(/6-digit/);
    expect(() => parseCredentialArgs(['--duration-seconds', '1h'], env)).toThrow(/whole number/);
    expect(() => parseCredentialArgs(['--policy-file', 'p.json'], env)).toThrow(/--role-arn/);
    expect(() => parseCredentialArgs(['--bogus'], env)).toThrow(CliError);
  });

  it('gives the child the credentials and takes other credential sources away', () => {
    const out = execEnv(
      { PATH: '/bin', AWS_PROFILE: 'p', AWS_DEFAULT_PROFILE: 'p', CREDBROKER_SECRET_ACCESS_KEY: 's', CREDBROKER_ACCESS_KEY_ID: 'a', AWS_ACCESS_KEY_ID: 'old' },
      creds(3600_000),
    );
    expect(out.PATH).toBe('/bin');
    expect(out.AWS_ACCESS_KEY_ID).toBe('ASIAAAAAAAAAAAAAAAAA');
    expect(out.AWS_SECRET_ACCESS_KEY).toBe('secret/secret/secret/secret/secret/secret');
    expect(out.AWS_SESSION_TOKEN).toBe('cbst_token');
    expect(out.AWS_CREDENTIAL_EXPIRATION).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'CREDBROKER_SECRET_ACCESS_KEY', 'CREDBROKER_ACCESS_KEY_ID']) expect(out).not.toHaveProperty(k);
  });
});

describe('broker keys for signing', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cb-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses the shared credentials file', () => {
    const ini = parseIni('# comment\n[default]\naws_access_key_id = AKIA1\n; other\n[ci]\nAWS_ACCESS_KEY_ID=AKIA2\naws_secret_access_key= s2 \n  nested = ignored\n');
    expect(ini.default).toEqual({ aws_access_key_id: 'AKIA1' });
    expect(ini.ci).toEqual({ aws_access_key_id: 'AKIA2', aws_secret_access_key: 's2' });
  });

  it('prefers CREDBROKER_*, then --source-profile, then AWS_*', () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[broker]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n');
    const awsEnv = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SHARED_CREDENTIALS_FILE: file };
    expect(resolveSigningKeys({ ...awsEnv, CREDBROKER_ACCESS_KEY_ID: 'AKIACB', CREDBROKER_SECRET_ACCESS_KEY: 'cb' }, 'broker').accessKeyId).toBe('AKIACB');
    expect(resolveSigningKeys(awsEnv, 'broker').accessKeyId).toBe('AKIAPROFILE');
    expect(resolveSigningKeys(awsEnv).accessKeyId).toBe('AKIAENV');
    expect(() => resolveSigningKeys({ CREDBROKER_ACCESS_KEY_ID: 'AKIACB' })).toThrow(/both/);
    expect(() => resolveSigningKeys({ AWS_SHARED_CREDENTIALS_FILE: file }, 'missing')).toThrow(/"missing"/);
    expect(() => resolveSigningKeys({})).toThrow(/no broker credentials/);
  });

  it('finds ~/.aws/credentials from HOME unless AWS_SHARED_CREDENTIALS_FILE says otherwise', () => {
    expect(sharedCredentialsFile({ HOME: '/home/u' })).toBe('/home/u/.aws/credentials');
    expect(sharedCredentialsFile({ HOME: '/home/u', AWS_SHARED_CREDENTIALS_FILE: '~/creds' })).toBe('/home/u/creds');
  });

  it('never lets a secret through an error line', () => {
    expect(redactSecrets('bad token eyJabc.def in message', ['eyJabc.def'])).toBe('bad token [REDACTED] in message');
    expect(oneLine('a\nb\r\n\tc')).toBe('a b c');
  });
});
