import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, READ_ONLY, type TestAccount } from '../support/factories.js';
import { startOidcIssuer, type TestOidcIssuer } from '../support/oidc-issuer.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { listen, DB_KIND, startTestApp, type TestApp } from '../support/test-app.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `credbroker <args>` from source, in a child process, asynchronously (the broker under test serves from this process). */
function credbroker(args: string[], env: Record<string, string | undefined>, onSpawn?: (p: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { cwd: REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onSpawn?.(p);
  });
}

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** credential-process and exec against the live server, as separate processes. */
describe(`credbroker credential-process / exec (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let base: string;
  let work: string;
  let user: { userName: string; arn: string; keys: Keys };
  let roleArn: string;
  let roleName: string;
  let idp: TestOidcIssuer;

  beforeAll(async () => {
    [t, idp] = await Promise.all([startTestApp(), startOidcIssuer()]);
    base = await listen(t);
    a = await accountWithRoot(t);
    const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
    roleArn = r.arn;
    roleName = r.roleName;
    user = await userWithKey(t, a, policyDoc([allow('sts:AssumeRole')]));
    work = mkdtempSync(join(tmpdir(), 'cb-cp-'));
  });
  afterAll(async () => {
    await Promise.all([t?.close(), idp?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  /** A fresh HOME and cache per call site, no AWS variables from the machine. */
  function env(extra: Record<string, string | undefined> = {}, keys: Keys | null = user.keys) {
    const home = join(work, `home-${++n}`);
    return {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CACHE_HOME: join(home, 'cache'),
      CREDBROKER_ENDPOINT: base,
      ...(keys ? { CREDBROKER_ACCESS_KEY_ID: keys.accessKeyId, CREDBROKER_SECRET_ACCESS_KEY: keys.secretAccessKey } : {}),
      ...extra,
    };
  }
  const whoami = (k: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }) =>
    signedRequest(t, { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, sessionToken: k.SessionToken }, 'GET', '/v1/sts/get-caller-identity');

  it('prints exactly the credential_process shape for AssumeRole, and the credentials work', async () => {
    const r = await credbroker(['credential-process', '--role-arn', roleArn, '--role-session-name', 'cp-test'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    expect(out.Version).toBe(1);
    expect(out.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const me = await whoami(out);
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/${roleName}/cp-test`);
  });

  it('caches in a 0600 file in a 0700 directory, reuses it, and --no-cache bypasses it', async () => {
    const e = env();
    const args = ['credential-process', '--endpoint', base, '--role-arn', roleArn, '--duration-seconds', '900'];
    const first = await credbroker(args, e);
    expect(first.code, first.stderr).toBe(0);
    const dir = join(e.XDG_CACHE_HOME, 'credbroker');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    const cached = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
    expect(cached).toEqual(JSON.parse(first.stdout));
    // The file name is a digest of the inputs: the signing secret is nowhere in it.
    expect(files[0]).not.toContain(user.keys.secretAccessKey);

    const second = await credbroker(args, e);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).AccessKeyId).toBe(cached.AccessKeyId);
    const sessions = await t.prisma.stsSession.count({ where: { accountId: a.accountId, callerArn: user.arn } });

    const fresh = await credbroker([...args, '--no-cache'], e);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout).AccessKeyId).not.toBe(cached.AccessKeyId);
    expect(await t.prisma.stsSession.count({ where: { accountId: a.accountId, callerArn: user.arn } })).toBe(sessions + 1);
    // --no-cache neither read nor wrote.
    expect(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')).AccessKeyId).toBe(cached.AccessKeyId);

    // Within CREDBROKER_CACHE_MIN_REMAINING_SECONDS of expiry (900 s credentials, 1000 s asked): fetched again.
    const near = await credbroker(args, { ...e, CREDBROKER_CACHE_MIN_REMAINING_SECONDS: '1000' });
    expect(near.code).toBe(0);
    expect(JSON.parse(near.stdout).AccessKeyId).not.toBe(cached.AccessKeyId);
  });

  it('GetSessionToken without --role-arn; keys from --source-profile or AWS_* too', async () => {
    const viaEnv = await credbroker(['credential-process'], env());
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect((await whoami(JSON.parse(viaEnv.stdout))).body.Arn).toBe(user.arn);

    const credsFile = join(work, 'shared-credentials');
    writeFileSync(credsFile, `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = nope\n\n[broker]\naws_access_key_id = ${user.keys.accessKeyId}\naws_secret_access_key = ${user.keys.secretAccessKey}\n`);
    const viaProfile = await credbroker(['credential-process', '--source-profile', 'broker', '--no-cache'], env({ AWS_SHARED_CREDENTIALS_FILE: credsFile }, null));
    expect(viaProfile.code, viaProfile.stderr).toBe(0);
    expect((await whoami(JSON.parse(viaProfile.stdout))).body.Arn).toBe(user.arn);

    const viaAws = await credbroker(['credential-process', '--no-cache'], env({ AWS_ACCESS_KEY_ID: user.keys.accessKeyId, AWS_SECRET_ACCESS_KEY: user.keys.secretAccessKey }, null));
    expect(viaAws.code, viaAws.stderr).toBe(0);
    expect((await whoami(JSON.parse(viaAws.stdout))).body.Arn).toBe(user.arn);
  });

  it('AssumeRoleWithWebIdentity from a token file, with no broker keys at all', async () => {
    const p = await t.http.post(`/v1/accounts/${a.accountId}/oidc-providers`).set(bearer(a.rootToken)).send({ url: idp.url, clientIdList: ['credbroker'] });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const host = idp.url.replace(/^https?:\/\//, '');
    const ci = await role(
      t,
      a,
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: p.body.arn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${host}:aud`]: 'credbroker', [`${host}:repository`]: 'acme/app' } } }] },
      { policies: [READ_ONLY] },
    );
    const tokenFile = join(work, 'oidc-token');
    const token = await idp.issueToken({ sub: 'repo:acme/app:ref:refs/heads/main', aud: 'credbroker', repository: 'acme/app' });
    writeFileSync(tokenFile, token + '\n');
    const e = env({}, null);
    const r = await credbroker(['credential-process', '--role-arn', ci.arn, '--web-identity-token-file', tokenFile], e);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    const me = await whoami(c);
    expect(me.body.Arn).toMatch(new RegExp(`^arn:aws:sts::${a.accountId}:assumed-role/${ci.roleName}/ci-\\d{8}T\\d{6}Z$`));
    // Same token: the cached credentials; a new token (another job): new credentials.
    const again = await credbroker(['credential-process', '--role-arn', ci.arn, '--web-identity-token-file', tokenFile], e);
    expect(JSON.parse(again.stdout).AccessKeyId).toBe(c.AccessKeyId);
    writeFileSync(tokenFile, await idp.issueToken({ sub: 'repo:acme/app:ref:refs/heads/main', aud: 'credbroker', repository: 'acme/app' }));
    const next = await credbroker(['exec', '--role-arn', ci.arn, '--web-identity-token-file', tokenFile, '--role-session-name', 'gh-42', '--', process.execPath, '-e', 'process.stdout.write(process.env.AWS_ACCESS_KEY_ID)'], e);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^ASIA/);
    expect(next.stdout).not.toBe(c.AccessKeyId);

    // Another repository's token is refused; the token never reaches stderr.
    const foreign = await idp.issueToken({ sub: 'repo:evil/app:ref:refs/heads/main', aud: 'credbroker', repository: 'evil/app' });
    writeFileSync(tokenFile, foreign);
    const denied = await credbroker(['credential-process', '--role-arn', ci.arn, '--web-identity-token-file', tokenFile], e);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^credbroker: AccessDenied: /);
    expect(denied.stderr).not.toContain(foreign.slice(0, 30));
    const missing = await credbroker(['credential-process', '--role-arn', ci.arn, '--web-identity-token-file', join(work, 'nope')], e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the web identity token file .*ENOENT/);
  });

  it('passes a session policy file', async () => {
    const file = join(work, 'policy.json');
    writeFileSync(file, JSON.stringify(policyDoc([allow('iam:GetUser')])));
    const r = await credbroker(['credential-process', '--role-arn', roleArn, '--policy-file', file], env());
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    const list = await signedRequest(t, { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, 'GET', `/v1/accounts/${a.accountId}/users`, { service: 'iam' });
    expect(list.status).toBe(403);
  });

  it('fails with exit 1 and one line on stderr naming the broker error, never a secret', async () => {
    const wrong = { accessKeyId: user.keys.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    const bad = await credbroker(['credential-process', '--role-arn', roleArn], env({}, wrong));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^credbroker: SignatureDoesNotMatch: .*\(HTTP 403, request id [\w-]+\)\n$/);
    expect(bad.stderr).not.toContain(wrong.secretAccessKey);

    const denied = await credbroker(['credential-process', '--role-arn', `arn:aws:iam::${a.accountId}:role/not-there`], env());
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^credbroker: AccessDenied: /);
    expect(denied.stderr).not.toContain(user.keys.secretAccessKey);

    const invalid = await credbroker(['credential-process', '--role-arn', roleArn, '--duration-seconds', '60'], env());
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^credbroker: ValidationError: /);

    const port = await closedPort();
    const unreachable = await credbroker(['credential-process', '--endpoint', `http://127.0.0.1:${port}`], env({ CREDBROKER_TIMEOUT_SECONDS: '2' }));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`credbroker: cannot reach the broker at http://127.0.0.1:${port}: ECONNREFUSED\n`);

    const noKeys = await credbroker(['credential-process'], env({}, null));
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toMatch(/^credbroker: no broker credentials/);

    const usage = await credbroker(['credential-process', '--role-arn'], env());
    expect(usage.code).toBe(1);
    for (const r of [bad, denied, invalid, unreachable, noKeys, usage]) {
      expect(r.stderr).not.toContain(user.keys.secretAccessKey);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('exec runs the command with the credentials in its environment and exits with its status', async () => {
    const script =
      'const e = process.env; process.stdout.write(JSON.stringify({ id: e.AWS_ACCESS_KEY_ID, secret: e.AWS_SECRET_ACCESS_KEY, token: e.AWS_SESSION_TOKEN, exp: e.AWS_CREDENTIAL_EXPIRATION, profile: e.AWS_PROFILE ?? null, cb: e.CREDBROKER_SECRET_ACCESS_KEY ?? null, keep: e.KEEP_ME })); process.exit(7);';
    const r = await credbroker(['exec', '--role-arn', roleArn, '--role-session-name', 'exec-test', '--', process.execPath, '-e', script], env({ AWS_PROFILE: 'some-profile', KEEP_ME: 'yes' }));
    expect(r.code, r.stderr).toBe(7);
    const seen = JSON.parse(r.stdout);
    expect(seen.id).toMatch(/^ASIA/);
    expect(seen.profile).toBeNull();
    expect(seen.cb).toBeNull();
    expect(seen.keep).toBe('yes');
    expect(seen.exp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const me = await whoami({ AccessKeyId: seen.id, SecretAccessKey: seen.secret, SessionToken: seen.token });
    expect(me.body.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/${roleName}/exec-test`);

    const ok = await credbroker(['exec', '--role-arn', roleArn, '--', process.execPath, '-e', 'process.exit(0)'], env());
    expect(ok.code).toBe(0);
    const missing = await credbroker(['exec', '--role-arn', roleArn, '--', join(work, 'no-such-program')], env());
    expect(missing.code).toBe(127);
    const noCommand = await credbroker(['exec', '--role-arn', roleArn], env());
    expect(noCommand.code).toBe(1);
    expect(noCommand.stderr).toMatch(/needs a command after --/);
  });

  it('exec forwards signals to the command', async () => {
    const script = "process.on('SIGTERM', () => { process.stdout.write('got SIGTERM'); process.exit(3); }); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);";
    let parent: ChildProcess | undefined;
    const running = credbroker(['exec', '--role-arn', roleArn, '--', process.execPath, '-e', script], env(), (p) => {
      parent = p;
      p.stdout!.on('data', (d: string) => {
        if (String(d).includes('ready')) p.kill('SIGTERM');
      });
    });
    const r = await running;
    expect(parent).toBeDefined();
    expect(r.stdout).toContain('got SIGTERM');
    expect(r.code).toBe(3);

    // A command killed by a signal: the exec process goes the same way.
    const killed = await credbroker(['exec', '--role-arn', roleArn, '--', process.execPath, '-e', "process.kill(process.pid, 'SIGKILL')"], env());
    expect(killed.signal === 'SIGKILL' || killed.code === 137).toBe(true);
  });
});
