import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/common/ids.js';
import { accountWithRoot, bearer, READ_ONLY, type TestAccount } from '../support/factories.js';
import { allow, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { listen, DB_KIND, startTestApp, type TestApp } from '../support/test-app.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The AWS CLI, asynchronously (the broker under test serves from this process). */
function aws(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn('aws', args, { cwd: REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Recorded {
  authorization?: string;
  securityToken?: string;
  body: string;
}

/**
 * Stands in for AWS STS: records the credentials each request was signed with
 * and answers GetCallerIdentity, so the test sees which credentials the CLI used.
 */
async function startRecorder(): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const h: IncomingHttpHeaders = req.headers;
      requests.push({ authorization: h.authorization, securityToken: h['x-amz-security-token'] as string | undefined, body });
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          '<Arn>arn:aws:sts::123456789012:assumed-role/recorder/session</Arn><UserId>AROARECORDER:session</UserId><Account>123456789012</Account>' +
          '</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, requests, close: () => new Promise((r) => server.close(() => r())) };
}

const keyIdOf = (authorization: string | undefined) => /Credential=([A-Z0-9]+)\//.exec(authorization ?? '')?.[1];

/** The real AWS CLI (v1) picking up broker credentials: container credentials and credential_process. */
describe(`AWS CLI with broker credentials (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let base: string;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let work: string;

  beforeAll(async () => {
    try {
      await promisify(execFile)('aws', ['--version']);
    } catch {
      throw new Error('the AWS CLI (v1) is required for this test: pip install awscli');
    }
    t = await startTestApp();
    base = await listen(t);
    a = await accountWithRoot(t);
    recorder = await startRecorder();
    work = mkdtempSync(join(tmpdir(), 'cb-awscli-'));
  });
  afterAll(async () => {
    await recorder?.close();
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A clean AWS CLI environment: a temporary HOME and config files, nothing from the machine. */
  function cliEnv(name: string, extra: Record<string, string> = {}) {
    const home = join(work, name);
    mkdirSync(join(home, '.aws'), { recursive: true });
    const config = join(home, '.aws', 'config');
    const credentials = join(home, '.aws', 'credentials');
    writeFileSync(config, '');
    writeFileSync(credentials, '');
    return {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        XDG_CACHE_HOME: join(home, 'cache'),
        ...extra,
      },
      config,
      credentials,
    };
  }

  async function callerIdentity(env: Record<string, string | undefined>, extraArgs: string[] = []) {
    const before = recorder.requests.length;
    const r = await aws(['sts', 'get-caller-identity', '--endpoint-url', recorder.url, '--output', 'json', ...extraArgs], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).Account).toBe('123456789012');
    expect(recorder.requests.length).toBe(before + 1);
    return recorder.requests[before]!;
  }

  it('container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN', async () => {
    const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
    const tok = await t.http.post(`/v1/accounts/${a.accountId}/container-tokens`).set(bearer(a.rootToken)).send({ name: 'aws-cli-container', roleArn: r.arn });
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    const { env } = cliEnv('container', {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${base}/v1/container-credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: tok.body.token,
    });
    const seen = await callerIdentity(env);
    expect(seen.body).toContain('Action=GetCallerIdentity');
    const keyId = keyIdOf(seen.authorization);
    expect(keyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const session = await t.prisma.stsSession.findUnique({ where: { accessKeyId: keyId! } });
    expect(session).toMatchObject({ accountId: a.accountId, containerTokenId: tok.body.id, sessionName: 'aws-cli-container', type: 'AssumedRole' });
    // The session token sent is the one the broker issued with that key.
    expect(seen.securityToken).toBeTruthy();
    expect(sha256Hex(seen.securityToken!)).toBe(session!.tokenHash);
    // And it is what the endpoint hands out (reused while fresh).
    const direct = await t.http.get('/v1/container-credentials').set('Authorization', tok.body.token);
    expect(direct.body.AccessKeyId).toBe(keyId);
    expect(direct.body.Token).toBe(seen.securityToken);
  });

  it('credential_process profile in ~/.aws/config running `credbroker credential-process`', async () => {
    const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
    const u = await userWithKey(t, a, policyDoc([allow('sts:AssumeRole')]));
    const { env, config, credentials } = cliEnv('process');
    writeFileSync(credentials, `[broker-keys]\naws_access_key_id = ${u.keys.accessKeyId}\naws_secret_access_key = ${u.keys.secretAccessKey}\n`);
    const command = [process.execPath, '--import', 'tsx', CLI_MAIN, 'credential-process', '--endpoint', base, '--role-arn', r.arn, '--role-session-name', 'aws-cli', '--source-profile', 'broker-keys'];
    writeFileSync(config, `[profile ci]\ncredential_process = ${command.join(' ')}\nregion = us-east-1\n`);

    const seen = await callerIdentity(env, ['--profile', 'ci']);
    const keyId = keyIdOf(seen.authorization);
    expect(keyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const session = await t.prisma.stsSession.findUnique({ where: { accessKeyId: keyId! } });
    expect(session).toMatchObject({ accountId: a.accountId, sessionName: 'aws-cli', callerArn: u.arn, type: 'AssumedRole', roleId: r.roleId });
    expect(sha256Hex(seen.securityToken!)).toBe(session!.tokenHash);

    // A second CLI run gets the cached credentials from credential-process.
    const again = await callerIdentity({ ...env, AWS_PROFILE: 'ci' });
    expect(keyIdOf(again.authorization)).toBe(keyId);
    expect(again.securityToken).toBe(seen.securityToken);
  });

  it('credential_process with GetSessionToken and keys in the environment the CLI passes on', async () => {
    const u = await userWithKey(t, a);
    const { env, config } = cliEnv('session', { CREDBROKER_ACCESS_KEY_ID: u.keys.accessKeyId, CREDBROKER_SECRET_ACCESS_KEY: u.keys.secretAccessKey, CREDBROKER_ENDPOINT: base });
    writeFileSync(config, `[default]\ncredential_process = ${[process.execPath, '--import', 'tsx', CLI_MAIN, 'credential-process'].join(' ')}\n`);
    const seen = await callerIdentity(env);
    const keyId = keyIdOf(seen.authorization);
    expect(keyId).toMatch(/^ASIA/);
    const session = await t.prisma.stsSession.findUnique({ where: { accessKeyId: keyId! } });
    expect(session).toMatchObject({ type: 'SessionToken', arn: u.arn });
  });
});
