import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/common/crypto/base32.js';
import { totp } from '../../src/common/crypto/totp.js';
import { accountWithRoot, ADMIN, bearer, type TestAccount } from '../support/factories.js';
import { listen, DB_KIND, startTestApp, type TestApp } from '../support/test-app.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

/** The AWS CLI, asynchronously (the broker under test serves from this process). */
function aws(args: string[], env: Env): Promise<Run> {
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

/** Runs a command that must succeed; returns its JSON output ({} when it prints nothing). */
async function ok(args: string[], env: Env): Promise<any> {
  const r = await aws([...args, '--output', 'json'], env);
  expect(r.code, `aws ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

/** Runs a command that must fail with AWS error `code` (the CLI prints "An error occurred (<code>) when calling …"). */
async function fails(args: string[], env: Env, code: string): Promise<string> {
  const r = await aws([...args, '--output', 'json'], env);
  expect(r.code, `aws ${args.join(' ')} should fail with ${code}; stdout: ${r.stdout}`).not.toBe(0);
  expect(r.stderr).toContain(`An error occurred (${code})`);
  return r.stderr;
}

const json = (v: unknown) => JSON.stringify(v);

/** Each CLI run starts a Python interpreter (seconds on a busy machine): the steps get minutes, not the default 30 s. */
const STEP_TIMEOUT = 300_000;

/**
 * The README's walkthrough with the real AWS CLI (v1) against the live broker,
 * over the AWS Query API: IAM users and keys, the two-key limit, roles with a
 * session policy, an MFA session, and a source_profile + role_arn profile.
 * The endpoint is given the three ways the CLI supports: --endpoint-url,
 * AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS, and endpoint_url in a profile.
 */
describe(`AWS CLI walkthrough against the broker (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let base: string;
  let work: string;
  let config: string;
  let credentials: string;
  /** Admin commands: `--endpoint-url` on each command. */
  let adminEnv: Env;
  let adminArgs: (args: string[]) => string[];
  /** alice's commands: the endpoint from AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS. */
  let aliceEnv: Env;
  let aliceKey: { AccessKeyId: string; SecretAccessKey: string };
  let mfaSerial: string;

  const ALICE = 'alice';
  const roleArn = (name: string) => `arn:aws:iam::${a.accountId}:role/${name}`;

  beforeAll(async () => {
    try {
      await promisify(execFile)('aws', ['--version']);
    } catch {
      throw new Error('the AWS CLI (v1) is required for this test: pip install awscli');
    }
    t = await startTestApp();
    base = await listen(t);
    a = await accountWithRoot(t);

    // The one REST step: root creates an administrator with an access key (root keys are locked by default).
    const h = bearer(a.rootToken);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: 'admin' })).status).toBe(201);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users/admin/attached-policies`).set(h).send({ policyArn: ADMIN })).status).toBe(204);
    const key = await t.http.post(`/v1/accounts/${a.accountId}/users/admin/access-keys`).set(h);
    expect(key.status, JSON.stringify(key.body)).toBe(201);

    // A clean CLI environment: temporary HOME and config files, nothing from the machine.
    work = mkdtempSync(join(tmpdir(), 'cb-awscli-walk-'));
    const home = join(work, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    config = join(home, '.aws', 'config');
    credentials = join(home, '.aws', 'credentials');
    writeFileSync(config, '[default]\nregion = us-east-1\n');
    writeFileSync(credentials, `[admin]\naws_access_key_id = ${key.body.accessKey.accessKeyId}\naws_secret_access_key = ${key.body.accessKey.secretAccessKey}\n`);
    const common: Env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      XDG_CACHE_HOME: join(home, 'cache'),
    };
    adminEnv = { ...common, AWS_PROFILE: 'admin' };
    adminArgs = (args) => [...args, '--endpoint-url', base];
    aliceEnv = { ...common, AWS_PROFILE: ALICE, AWS_ENDPOINT_URL_IAM: base, AWS_ENDPOINT_URL_STS: base };
  }, STEP_TIMEOUT);
  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the administrator is who the CLI says (sts get-caller-identity --endpoint-url)', async () => {
    const me = await ok(adminArgs(['sts', 'get-caller-identity']), adminEnv);
    expect(me).toMatchObject({ Account: a.accountId, Arn: `arn:aws:iam::${a.accountId}:user/admin` });
  }, STEP_TIMEOUT);

  it('creates a user, two access keys, hits the two-key limit, deactivates and deletes one', async () => {
    const u = await ok(adminArgs(['iam', 'create-user', '--user-name', ALICE]), adminEnv);
    expect(u.User).toMatchObject({ UserName: ALICE, Arn: `arn:aws:iam::${a.accountId}:user/${ALICE}` });
    await ok(adminArgs(['iam', 'attach-user-policy', '--user-name', ALICE, '--policy-arn', 'arn:aws:iam::aws:policy/ManageOwnCredentials']), adminEnv);

    const k1 = (await ok(adminArgs(['iam', 'create-access-key', '--user-name', ALICE]), adminEnv)).AccessKey;
    const k2 = (await ok(adminArgs(['iam', 'create-access-key', '--user-name', ALICE]), adminEnv)).AccessKey;
    expect(k1).toMatchObject({ UserName: ALICE, Status: 'Active' });
    expect(k1.AccessKeyId).toMatch(/^AKIA/);
    expect(k1.SecretAccessKey).toHaveLength(40);
    const listed = await ok(adminArgs(['iam', 'list-access-keys', '--user-name', ALICE]), adminEnv);
    expect(listed.AccessKeyMetadata.map((k: { AccessKeyId: string }) => k.AccessKeyId).sort()).toEqual([k1.AccessKeyId, k2.AccessKeyId].sort());
    expect(JSON.stringify(listed)).not.toContain(k1.SecretAccessKey);

    await fails(adminArgs(['iam', 'create-access-key', '--user-name', ALICE]), adminEnv, 'LimitExceeded');

    // Only an inactive key can be deleted.
    await fails(adminArgs(['iam', 'delete-access-key', '--user-name', ALICE, '--access-key-id', k1.AccessKeyId]), adminEnv, 'DeleteConflict');
    await ok(adminArgs(['iam', 'update-access-key', '--user-name', ALICE, '--access-key-id', k1.AccessKeyId, '--status', 'Inactive']), adminEnv);
    const after = await ok(adminArgs(['iam', 'list-access-keys', '--user-name', ALICE]), adminEnv);
    expect(after.AccessKeyMetadata.find((k: { AccessKeyId: string }) => k.AccessKeyId === k1.AccessKeyId).Status).toBe('Inactive');
    await ok(adminArgs(['iam', 'delete-access-key', '--user-name', ALICE, '--access-key-id', k1.AccessKeyId]), adminEnv);
    const left = await ok(adminArgs(['iam', 'list-access-keys', '--user-name', ALICE]), adminEnv);
    expect(left.AccessKeyMetadata.map((k: { AccessKeyId: string }) => k.AccessKeyId)).toEqual([k2.AccessKeyId]);

    // alice's profile uses the key that is left; her endpoint comes from AWS_ENDPOINT_URL_IAM/_STS.
    aliceKey = k2;
    writeFileSync(credentials, `${readFileSync(credentials, 'utf8')}[${ALICE}]\naws_access_key_id = ${k2.AccessKeyId}\naws_secret_access_key = ${k2.SecretAccessKey}\n`);
    const me = await ok(['sts', 'get-caller-identity'], aliceEnv);
    expect(me.Arn).toBe(`arn:aws:iam::${a.accountId}:user/${ALICE}`);
    // The deleted key no longer authenticates.
    await fails(['sts', 'get-caller-identity'], { ...aliceEnv, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: k1.AccessKeyId, AWS_SECRET_ACCESS_KEY: k1.SecretAccessKey }, 'InvalidClientTokenId');
  }, STEP_TIMEOUT);

  it('assumes a role with a session policy and is denied outside it', async () => {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: a.accountId }, Action: 'sts:AssumeRole' }] };
    const role = await ok(adminArgs(['iam', 'create-role', '--role-name', 'deploy', '--assume-role-policy-document', json(trust), '--description', 'read-only deployer']), adminEnv);
    expect(role.Role).toMatchObject({ RoleName: 'deploy', Arn: roleArn('deploy') });
    // The CLI decodes the URL-encoded document AWS sends.
    expect(role.Role.AssumeRolePolicyDocument).toEqual(trust);
    await ok(adminArgs(['iam', 'attach-role-policy', '--role-name', 'deploy', '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess']), adminEnv);
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${a.accountId}:role/*` }] };
    await ok(adminArgs(['iam', 'put-user-policy', '--user-name', ALICE, '--policy-name', 'assume-roles', '--policy-document', json(policy)]), adminEnv);
    expect((await ok(adminArgs(['iam', 'get-user-policy', '--user-name', ALICE, '--policy-name', 'assume-roles']), adminEnv)).PolicyDocument).toEqual(policy);
    expect((await ok(adminArgs(['iam', 'list-attached-role-policies', '--role-name', 'deploy']), adminEnv)).AttachedPolicies).toEqual([
      { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ]);

    const sessionPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] };
    const assumed = await ok(['sts', 'assume-role', '--role-arn', roleArn('deploy'), '--role-session-name', 'release-42', '--duration-seconds', '900', '--policy', json(sessionPolicy)], aliceEnv);
    expect(assumed.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/deploy/release-42`);
    expect(assumed.Credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(assumed.PackedPolicySize).toBeGreaterThan(0);
    const roleEnv = {
      ...aliceEnv,
      AWS_PROFILE: undefined,
      AWS_ACCESS_KEY_ID: assumed.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: assumed.Credentials.SessionToken,
    };
    expect((await ok(['sts', 'get-caller-identity'], roleEnv)).Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/deploy/release-42`);
    const users = await ok(['iam', 'list-users'], roleEnv);
    expect(users.Users.map((u: { UserName: string }) => u.UserName)).toEqual(expect.arrayContaining(['admin', ALICE]));
    // The role may read roles (ReadOnlyAccess), the session policy may not: denied.
    await fails(['iam', 'list-roles'], roleEnv, 'AccessDenied');
    await fails(['iam', 'get-role', '--role-name', 'deploy'], roleEnv, 'AccessDenied');
    // And nothing the role itself cannot do.
    await fails(['iam', 'create-user', '--user-name', 'mallory'], roleEnv, 'AccessDenied');
  }, STEP_TIMEOUT);

  it('enables a virtual MFA device and gets a session token with MFA', async () => {
    const seedFile = join(work, 'alice-seed.txt');
    const dev = await ok(['iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'alice-phone', '--outfile', seedFile, '--bootstrap-method', 'Base32StringSeed'], aliceEnv);
    mfaSerial = dev.VirtualMFADevice.SerialNumber;
    expect(mfaSerial).toBe(`arn:aws:iam::${a.accountId}:mfa/alice-phone`);
    const seed = base32Decode(readFileSync(seedFile, 'utf8').trim());
    const now = Date.now();
    // Two consecutive codes (the last two time steps), as an authenticator app shows them.
    await ok(['iam', 'enable-mfa-device', '--user-name', ALICE, '--serial-number', mfaSerial, '--authentication-code1', totp(seed, now - 60_000), '--authentication-code2', totp(seed, now - 30_000)], aliceEnv);
    const devices = await ok(['iam', 'list-mfa-devices', '--user-name', ALICE], aliceEnv);
    expect(devices.MFADevices.map((d: { SerialNumber: string }) => d.SerialNumber)).toEqual([mfaSerial]);

    // A role only MFA-authenticated principals may assume.
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: a.accountId }, Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }],
    };
    await ok(adminArgs(['iam', 'create-role', '--role-name', 'break-glass', '--assume-role-policy-document', json(trust)]), adminEnv);
    await fails(['sts', 'assume-role', '--role-arn', roleArn('break-glass'), '--role-session-name', 'no-mfa'], aliceEnv, 'AccessDenied');

    await fails(['sts', 'get-session-token', '--serial-number', mfaSerial, '--token-code', '000000'], aliceEnv, 'AccessDenied');
    const session = await ok(['sts', 'get-session-token', '--serial-number', mfaSerial, '--token-code', totp(seed, Date.now()), '--duration-seconds', '900'], aliceEnv);
    expect(session.Credentials.AccessKeyId).toMatch(/^ASIA/);
    const mfaEnv = {
      ...aliceEnv,
      AWS_PROFILE: undefined,
      AWS_ACCESS_KEY_ID: session.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: session.Credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: session.Credentials.SessionToken,
    };
    expect((await ok(['sts', 'get-caller-identity'], mfaEnv)).Arn).toBe(`arn:aws:iam::${a.accountId}:user/${ALICE}`);
    const glass = await ok(['sts', 'assume-role', '--role-arn', roleArn('break-glass'), '--role-session-name', 'with-mfa'], mfaEnv);
    expect(glass.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/break-glass/with-mfa`);
    // With MFA, session-token credentials may call IAM (alice's own keys, ManageOwnCredentials).
    const keys = await ok(['iam', 'list-access-keys'], mfaEnv);
    expect(keys.AccessKeyMetadata.map((k: { AccessKeyId: string }) => k.AccessKeyId)).toEqual([aliceKey.AccessKeyId]);
  }, STEP_TIMEOUT);

  it('a source_profile + role_arn profile (endpoint_url in the profile) assumes the role', async () => {
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}[profile deployer]\nrole_arn = ${roleArn('deploy')}\nsource_profile = ${ALICE}\nrole_session_name = cli-deployer\nendpoint_url = ${base}\nregion = us-east-1\n`,
    );
    // No endpoint in the environment: the profile's endpoint_url serves both the CLI's own STS call and the command.
    const env = { ...adminEnv, AWS_PROFILE: undefined };
    const me = await ok(['sts', 'get-caller-identity', '--profile', 'deployer'], env);
    expect(me).toMatchObject({ Account: a.accountId, Arn: `arn:aws:sts::${a.accountId}:assumed-role/deploy/cli-deployer` });
    expect(me.UserId).toMatch(/^AROA[A-Z0-9]+:cli-deployer$/);
    // The role's permissions (ReadOnlyAccess) apply.
    const roles = await ok(['iam', 'list-roles', '--profile', 'deployer'], env);
    expect(roles.Roles.map((r: { RoleName: string }) => r.RoleName)).toEqual(expect.arrayContaining(['deploy', 'break-glass']));
    await fails(['iam', 'delete-role', '--role-name', 'break-glass', '--profile', 'deployer'], env, 'AccessDenied');
    // The broker recorded an AssumeRole session for alice.
    const s = await t.prisma.stsSession.findFirst({ where: { accountId: a.accountId, sessionName: 'cli-deployer' } });
    expect(s).toMatchObject({ type: 'AssumedRole' });
  }, STEP_TIMEOUT);
});
